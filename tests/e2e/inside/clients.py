"""The real login clients, driven like a person would: each answers every
prompt through a User (password, menu choice, code, answering a call) and
reports whether the login went through and what was on the screen."""
import re

import paramiko
import pexpect

from catalogue import format_regex
from system import ALTERNATE, PRIMARY, SSH_PORT

# The end of every prompt a person is asked to answer.
PROMPT = re.compile(r"(?:[Pp]assword(?: for \w+)?: |Choose 1-\d+ \[\d+\]: |go back\): |press Enter here: )")


PASSWORD_PROMPT = r"[Pp]assword(?: for \w+)?: ?$"
CODE_PROMPTS = ["Code sent to %s. Enter the code (or press Enter to go back): ",
                "Calling %s. Enter the code you hear (or press Enter to go back): "]
WRONG_CODE_PROMPT = ("Wrong code, %u attempt left. Enter the code (or press Enter to go back): ",
                     "Wrong code, %u attempts left. Enter the code (or press Enter to go back): ")
APPROVE_PROMPT = "Calling %s. Answer it and press # to approve, then press Enter here: "
MENU_PROMPT = "Choose 1-%zu [%zu]: "


class User:
    """Answers prompts: the password, then menu choices and codes.
    catalogue: the language the user reads (tests/e2e/inside/catalogue.py);
    the prompts are recognised in it, and only in it."""

    def __init__(self, system, password, choices=("1",), wrong_codes=0, call_action="approve",
                 alternate=ALTERNATE, phones=None, catalogue=None):
        self.system = system
        self.catalogue = catalogue
        self.prompt_regex = PROMPT
        if catalogue is not None:
            text = catalogue.text
            self.menu_regex = format_regex(text(MENU_PROMPT)) + " ?$"
            self.code_regexes = [format_regex(text(p)) for p in CODE_PROMPTS] + \
                [format_regex(catalogue.plural_text(*WRONG_CODE_PROMPT, n)) for n in (1, 2)]
            self.approve_regex = format_regex(text(APPROVE_PROMPT))
            self.prompt_regex = re.compile("(?:" + "|".join(
                [PASSWORD_PROMPT.rstrip("$").replace(" ?", " "), self.menu_regex.rstrip("$").replace(" ?", ""),
                 self.approve_regex] + self.code_regexes) + ")")
        self.network = system.network
        self.password = password
        self.choices = list(choices)
        self.wrong_codes = wrong_codes
        self.call_action = call_action
        self.number = PRIMARY
        self.alternate = alternate
        # The number each menu choice reaches where it is not the primary:
        # the store's menu by default; a directory's menus differ.
        self.phones = phones or {"3": alternate, "4": alternate}
        self.seen = []
        self.asked = []  # the prompts answered, in order

    def shown(self, text):
        """Text shown that asks nothing (messages after the last prompt)."""
        if text.strip():
            self.seen.append(text)

    def __call__(self, prompt):
        self.seen.append(prompt)
        self.asked.append(prompt)
        if re.search(PASSWORD_PROMPT, prompt):
            return self.password
        if self.catalogue is not None:
            return self._answer_in_language(prompt)
        if re.search(r"Choose 1-\d+ \[\d+\]: ?$", prompt):
            choice = self.choices.pop(0)
            self.number = self.phones.get(choice, PRIMARY)
            return choice
        if "press # to approve" in prompt:
            self.network.answer_call(self.number, self.call_action)
            return ""
        if "Enter the code" in prompt:
            code = self.network.last_code(self.number)
            if self.wrong_codes > 0:
                self.wrong_codes -= 1
                return "000000" if code != "000000" else "111111"
            return code
        raise AssertionError(f"unexpected prompt {prompt!r}")

    def _answer_in_language(self, prompt):
        if re.search(self.menu_regex, prompt):
            choice = self.choices.pop(0)
            self.number = self.phones.get(choice, PRIMARY)
            return choice
        if re.search(self.approve_regex, prompt):
            self.network.answer_call(self.number, self.call_action)
            return ""
        if any(re.search(regex + " ?$", prompt) for regex in self.code_regexes):
            code = self.network.last_code(self.number)
            if self.wrong_codes > 0:
                self.wrong_codes -= 1
                return "000000" if code != "000000" else "111111"
            return code
        raise AssertionError(f"unexpected prompt {prompt!r}")

    def screen(self):
        """Everything shown, with terminal line endings made plain."""
        return "\n".join(self.seen).replace("\r\n", "\n").replace("\r", "")


class Paramiko:
    name = "paramiko"
    service = "sshd"

    def __init__(self, key_then_phone=False):
        self.key_then_phone = key_then_phone
        self.name = "paramiko-key" if key_then_phone else "paramiko"
        self.sshd_mode = "key" if key_then_phone else "password"

    def login(self, system, user_name, user):
        transport = paramiko.Transport(("127.0.0.1", SSH_PORT))
        try:
            transport.start_client(timeout=10)
            if self.key_then_phone:
                key = paramiko.Ed25519Key.from_private_key_file(system.authorize_key(user_name))
                transport.auth_publickey(user_name, key)
                if transport.is_authenticated():  # the key alone was enough: nothing is asked
                    return True

            def handler(title, instructions, prompts):
                # sshd puts informational text in the instructions of a round,
                # a round without prompts when it follows the last answer.
                if not prompts:
                    user.shown(instructions)
                return [user((instructions + "\n" if instructions else "") + text) for text, _ in prompts]

            transport.auth_interactive(user_name, handler)
            return transport.is_authenticated()
        except paramiko.AuthenticationException:
            return False
        finally:
            transport.close()


class Spawned:
    """A program on a pty: answer prompts until it ends."""
    marker = "E2E-OK"

    def argv(self, system, user_name):
        raise NotImplementedError

    def login(self, system, user_name, user):
        child = pexpect.spawn(self.argv(system, user_name)[0], self.argv(system, user_name)[1:],
                              encoding="utf-8", timeout=30, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                                                 "TERM": "dumb", "LANG": "C.UTF-8"})
        output = []
        try:
            while True:
                index = child.expect([user.prompt_regex, r"\$ $", pexpect.EOF])
                output.append(child.before + (child.after if isinstance(child.after, str) else ""))
                if index == 0:
                    child.sendline(user(output[-1].strip("\r\n")))
                elif index == 1:
                    user.shown(output[-1])
                    child.sendline(f"echo {self.marker}; exit")  # a shell: the login went through
                else:
                    user.shown(output[-1])
                    break
        finally:
            child.close()
        text = "".join(output)
        return self.marker in text.replace(f"echo {self.marker}", "") and self.succeeded(child, text)

    def succeeded(self, child, text):
        return child.exitstatus == 0


class Ssh(Spawned):
    """OpenSSH's client at its default LogLevel (INFO): it prints the text
    sshd sends after the last answer with logit(), so LogLevel ERROR or -q
    would hide the module's closing message."""
    service = "sshd"

    def __init__(self, key_then_phone=False):
        self.key_then_phone = key_then_phone
        self.name = "ssh-key" if key_then_phone else "ssh"
        self.sshd_mode = "key" if key_then_phone else "password"

    def argv(self, system, user_name):
        argv = ["ssh", "-F", "/dev/null", "-p", str(SSH_PORT), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=INFO",
                "-o", "NumberOfPasswordPrompts=1"]
        if self.key_then_phone:
            argv += ["-o", "PreferredAuthentications=publickey,keyboard-interactive",
                     "-o", "IdentitiesOnly=yes", "-i", system.authorize_key(user_name)]
        else:
            argv += ["-o", "PreferredAuthentications=keyboard-interactive", "-o", "PubkeyAuthentication=no"]
        return argv + [f"{user_name}@127.0.0.1", f"echo {self.marker}"]


class Sudo(Spawned):
    def __init__(self, login_shell=False):
        self.login_shell = login_shell
        self.name = "sudo-i" if login_shell else "sudo"
        self.service = "sudo-i" if login_shell else "sudo"
        self.sshd_mode = None

    def argv(self, system, user_name):
        sudo = ["sudo", "-k", "-i"] if self.login_shell else ["sudo", "-k"]
        return ["setpriv", f"--reuid={user_name}", f"--regid={user_name}", "--init-groups", "--reset-env",
                "--"] + sudo + ["echo", self.marker]


class Su(Spawned):
    """carol runs "su - USER": the target's password, then the target's phone."""
    name = "su-l"
    service = "su-l"
    sshd_mode = None

    def argv(self, system, user_name):
        return ["setpriv", "--reuid=carol", "--regid=carol", "--init-groups", "--reset-env", "--",
                "su", "-", user_name, "-c", f"echo {self.marker}"]


class Login(Spawned):
    """/bin/login on a terminal, as getty would start it. login exits 0 even
    after a failure: the shell's answer is what counts."""
    name = "login"
    service = "login"
    sshd_mode = None

    def argv(self, system, user_name):
        return ["login", user_name]

    def succeeded(self, child, text):
        return "Login incorrect" not in text


CLIENTS = [Paramiko(), Ssh(), Paramiko(key_then_phone=True), Ssh(key_then_phone=True),
           Sudo(), Sudo(login_shell=True), Su(), Login()]
PASSWORD_CLIENTS = [c for c in CLIENTS if c.sshd_mode != "key"]
KEY_CLIENTS = [c for c in CLIENTS if c.sshd_mode == "key"]


class AttackerSu(Spawned):
    """A local user (carol by default) runs "su - USER" from a shell where she
    first prepared the process the way an attacker would: `prelude` is shell
    text run before su (umask, exported variables, ulimit, trap). su is
    setuid root, so the module runs with AT_SECURE set and the caller's
    environment, limits and signal dispositions."""
    name = "su-l"
    service = "su-l"
    sshd_mode = None

    def __init__(self, prelude="", caller="carol"):
        self.prelude = prelude
        self.caller = caller

    def argv(self, system, user_name):
        script = f"{self.prelude}\nexec su - {user_name} -c 'echo {self.marker}'"
        return ["setpriv", f"--reuid={self.caller}", f"--regid={self.caller}", "--init-groups", "--reset-env",
                "--", "/bin/sh", "-c", script]
