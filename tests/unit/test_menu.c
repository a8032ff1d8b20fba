#include "unit_helpers.h"
#include "menu.h"

static void add_phone(struct phone_record *record, enum phone_slot slot, const char *number,
                      unsigned channels)
{
    struct phone_entry *entry = &record->phones[slot];
    assert_int_equal(phone_from_e164(number, NULL, &entry->number), PHONE_OK);
    entry->present = true;
    entry->channels = channels;
}

static void renders_the_menu_of_the_issue(void **state)
{
    (void)state;
    struct phone_record record = {0};
    struct menu menu;
    char text[1024];

    add_phone(&record, SLOT_PRIMARY, "+15555550117", CHANNEL_TEXT | CHANNEL_CALL);
    add_phone(&record, SLOT_ALTERNATE, "+15555550119", CHANNEL_CALL);
    menu_build(&record, &menu);
    assert_int_equal(menu.count, 3);
    assert_int_equal(menu_render(NULL, &menu, &record, NULL, "Verify your identity:", NULL, text, sizeof text), 0);
    assert_string_equal(text, "Verify your identity:\n"
                              "  1) Text +X XXXXXXXX17\n"
                              "  2) Call +X XXXXXXXX17\n"
                              "  3) Call +X XXXXXXXX19 (alternate)\n"
                              "Choose 1-3 [1]: ");
    assert_int_equal(menu_render(NULL, &menu, &record, "Notice.", "H", "Footer", text, sizeof text), 0);
    assert_string_equal(text, "Notice.\nH\n  1) Text +X XXXXXXXX17\n  2) Call +X XXXXXXXX17\n"
                              "  3) Call +X XXXXXXXX19 (alternate)\nFooter\nChoose 1-3 [1]: ");
    assert_int_equal(menu_render(NULL, &menu, &record, NULL, "H", NULL, text, 20), -1);
}

static void preferred_method_is_the_default(void **state)
{
    (void)state;
    struct phone_record record = {0};
    struct menu menu;
    size_t index = 99;

    add_phone(&record, SLOT_PRIMARY, "+15555550117", CHANNEL_TEXT | CHANNEL_CALL);
    add_phone(&record, SLOT_OFFICE, "+15555550123", CHANNEL_CALL);
    record.has_preferred = true;
    record.preferred_slot = SLOT_OFFICE;
    record.preferred_channel = CHANNEL_CALL;
    menu_build(&record, &menu);
    assert_int_equal(menu.default_index, 2);
    assert_true(menu_parse_choice(&menu, "", &index));
    assert_int_equal(index, 2);
    assert_true(menu_parse_choice(&menu, "  1 ", &index));
    assert_int_equal(index, 0);
}

static void rejects_anything_but_a_listed_number(void **state)
{
    (void)state;
    struct phone_record record = {0};
    struct menu menu;
    size_t index = 0;

    add_phone(&record, SLOT_PRIMARY, "+15555550117", CHANNEL_TEXT | CHANNEL_CALL);
    menu_build(&record, &menu);
    const char *bad[] = {"0", "3", "-1", "1a", "a", "01x", "001", "1 2", "999999999999", "\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(menu_parse_choice(&menu, bad[i], &index));
    assert_true(menu_parse_choice(&menu, "02", &index));
    assert_int_equal(index, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renders_the_menu_of_the_issue),
        cmocka_unit_test(preferred_method_is_the_default),
        cmocka_unit_test(rejects_anything_but_a_listed_number),
    };
    return cmocka_run_group_tests_name("menu", tests, NULL, NULL);
}
