/* test-app-rules.c: the rule editor refuses invalid input with a message
 * and saves valid input; the preview counts the last 30 days; a rule saved
 * by someone else meanwhile is merged field by field.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>

#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-rule-editor.h"
#include "sk-rules-view.h"
#include "sk-widgets.h"
#include "test-app-common.h"

static gboolean
editor_save (SkRuleEditor *editor, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, &result);
  return sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), error);
}

static void
expect_refused (SkRuleEditor *editor)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (editor_save (editor, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (sk_record_editor_get_error (SK_RECORD_EDITOR (editor)));
  g_test_message ("refused: %s", error->message);
}

static gboolean
categories_listed (gpointer editor)
{
  return sk_rule_editor_get_n_choices (editor, "categories") >= 7;
}

static gboolean
preview_is (gpointer editor)
{
  return g_strcmp0 (sk_rule_editor_get_preview (editor),
                    g_object_get_data (G_OBJECT (editor), "expected"))
         == 0;
}

static void
test_editor (AppFixture *f, gconstpointer data)
{
  SkDatabase   *db = f->db;
  SkRuleEditor *editor = sk_rule_editor_new (GTK_WINDOW (f->window), NULL);
  g_autoptr (GPtrArray) before = sk_database_list_rules (db, NULL);
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GError) error = NULL;
  SkDiscountRule  *saved = NULL;
  g_autofree char *expected_preview = NULL;

  gtk_window_present (GTK_WINDOW (editor));
  /* Typing goes into the name, not onto the header's Cancel. */
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (editor));
    GtkWidget *row = focus ? gtk_widget_get_ancestor (focus, ADW_TYPE_ENTRY_ROW) : NULL;

    g_assert_nonnull (row);
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Name");
  }
  /* Categories from the product list, stores by name, the five segments. */
  g_assert_true (app_wait (categories_listed, editor, 10000));
  g_assert_cmpuint (sk_rule_editor_get_n_choices (editor, "segments"), ==, 5);
  expect_refused (editor); /* no name */
  sk_rule_editor_set_field (editor, "name", "Autumn 15 %");
  sk_rule_editor_set_field (editor, "type", "0");
  sk_rule_editor_set_field (editor, "value", "150");
  expect_refused (editor); /* > 100 % */
  sk_rule_editor_set_field (editor, "value", "abc");
  /* Editing the field takes back what was said of it until the next save. */
  g_assert_null (sk_record_editor_get_error (SK_RECORD_EDITOR (editor)));
  expect_refused (editor);
  sk_rule_editor_set_field (editor, "value", "15");
  sk_rule_editor_set_field (editor, "valid_from", "2026-12-31");
  sk_rule_editor_set_field (editor, "valid_until", "2026-01-01");
  expect_refused (editor); /* dates out of order */
  sk_rule_editor_set_field (editor, "valid_until", "30.02.2027");
  expect_refused (editor); /* not a date */
  sk_rule_editor_set_field (editor, "valid_from", "");
  sk_rule_editor_set_field (editor, "valid_until", "");
  sk_rule_editor_set_field (editor, "segments", "vip, gold");
  expect_refused (editor); /* unknown segment */
  sk_rule_editor_set_field (editor, "segments", "vip, regular");
  sk_rule_editor_set_field (editor, "min_purchase", "-5");
  expect_refused (editor);
  sk_rule_editor_set_field (editor, "min_purchase", "1 500");
  /* Typed another way, they are stored as the product list spells them. */
  sk_rule_editor_set_field (editor, "categories", "игрушки, ОДЕЖДА");
  /* The 30 days' count follows the form without a button pressed. */
  {
    g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
    const char      *categories[] = { "Одежда", "Игрушки", NULL };
    const char      *segments[] = { SK_SEGMENT_REGULAR, SK_SEGMENT_VIP, NULL };
    gint64           now = sk_time_now ();
    SkRulePreview    preview;
    g_autofree char *amount = NULL;

    g_object_set (rule, "name", "Autumn 15 %", "type", SK_RULE_PERCENTAGE, "value", (gint64)1500,
                  "min-purchase", (gint64)150000, "categories", categories, "segments", segments,
                  "is-active", TRUE, NULL);
    g_assert_true (sk_rule_preview_compute (db, rule, now - (gint64)30 * 86400 * G_USEC_PER_SEC,
                                            now, 20000, &preview, &error));
    g_assert_no_error (error);
    amount = sk_money_format (preview.amount);
    expected_preview
        = g_strdup_printf ("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " purchases, %s off",
                           preview.matched, preview.purchases, amount);
    g_test_message ("expecting the preview “%s”", expected_preview);
    g_object_set_data (G_OBJECT (editor), "expected", expected_preview);
    g_assert_true (app_wait (preview_is, editor, 20000));
  }
  app_pump (200);
  app_save_png (GTK_WIDGET (editor), "rule-editor");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (editor));

  after = sk_database_list_rules (db, NULL);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  for (guint i = 0; i < after->len; i++)
    if (g_strcmp0 (((SkDiscountRule *)g_ptr_array_index (after, i))->name, "Autumn 15 %") == 0)
      saved = g_ptr_array_index (after, i);
  g_assert_nonnull (saved);
  g_assert_cmpstr (saved->type, ==, SK_RULE_PERCENTAGE);
  g_assert_cmpint (saved->value, ==, 1500);
  g_assert_cmpint (saved->min_purchase, ==, 150000);
  g_assert_cmpuint (g_strv_length (saved->segments), ==, 2);
  g_assert_true (g_strv_contains ((const char *const *)saved->segments, "vip"));
  g_assert_true (g_strv_contains ((const char *const *)saved->segments, "regular"));
  g_assert_cmpuint (g_strv_length (saved->categories), ==, 2);
  g_assert_true (g_strv_contains ((const char *const *)saved->categories, "Игрушки"));
  g_assert_true (g_strv_contains ((const char *const *)saved->categories, "Одежда"));
  g_assert_true (saved->is_active);
}

/* A value refused gives examples as the user's locale writes them, and
 * says what is wrong with a number of three decimals. */
static void
test_editor_examples (AppFixture *f, gconstpointer data)
{
  static const struct
  {
    const char *locale, *example;
  } locales[] = { { "en_US.UTF-8", "12.50" }, { "ru_RU.UTF-8", "12,50" } };
  g_autofree char *monetary = g_strdup (setlocale (LC_MONETARY, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (locales); i++)
    {
      g_autoptr (GError) error = NULL;
      SkRuleEditor *editor;

      if (setlocale (LC_MONETARY, locales[i].locale) == NULL)
        {
          g_test_skip ("locales en_US.UTF-8 and ru_RU.UTF-8 are not installed");
          break;
        }
      editor = sk_rule_editor_new (GTK_WINDOW (f->window), NULL);
      sk_rule_editor_set_field (editor, "name", "Examples");
      sk_rule_editor_set_field (editor, "value", "12.345");
      g_assert_false (editor_save (editor, &error));
      g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
      g_test_message ("%s: %s", locales[i].locale, error->message);
      g_assert_nonnull (strstr (error->message, "two decimals"));
      g_assert_nonnull (strstr (error->message, locales[i].example));
      gtk_window_destroy (GTK_WINDOW (editor));
    }
  setlocale (LC_MONETARY, monetary);
}

static gboolean
is_entry_row_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static const char *
field_text (SkRuleEditor *editor, const char *title)
{
  GtkWidget *row = app_find_widget (GTK_WIDGET (editor), is_entry_row_titled, title);

  g_assert_nonnull (row);
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

/* A rule's amounts open as a Russian user types them, "12,50" and
 * "1 234,56", not "12.50" and "1234.56"; saved unchanged, they stay. */
static void
test_editor_money (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (SkDiscountRule) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *monetary = g_strdup (setlocale (LC_MONETARY, NULL));
  SkRuleEditor    *editor;

  g_object_set (rule, "name", "Twelve and a half", "type", SK_RULE_PERCENTAGE, "value",
                (gint64)1250, "max-discount", (gint64)123456, "is-active", TRUE, NULL);
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);
  if (setlocale (LC_MONETARY, "ru_RU.UTF-8") == NULL)
    {
      g_test_skip ("locale ru_RU.UTF-8 is not installed");
      return;
    }
  editor = sk_rule_editor_new (GTK_WINDOW (f->window), rule);
  gtk_window_present (GTK_WINDOW (editor));
  g_assert_cmpstr (field_text (editor, "Value (%, ₽ or ×)"), ==, "12,50");
  g_assert_cmpstr (field_text (editor, "Maximum discount, ₽"), ==, "1\u202f234,56");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  setlocale (LC_MONETARY, monetary);
  stored = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->value, ==, 1250);
  g_assert_cmpint (stored->max_discount, ==, 123456);
  gtk_window_destroy (GTK_WINDOW (editor));
}

static gboolean
editor_gone (gpointer editor)
{
  return *(gpointer *)editor == NULL;
}

/* Escape with something typed asks first: Keep Editing keeps it, Discard
 * closes; an editor nothing was typed into just closes. */
static void
test_editor_discard (AppFixture *f, gconstpointer data)
{
  SkRuleEditor     *editor = sk_rule_editor_new (GTK_WINDOW (f->window), NULL);
  AdwMessageDialog *dialog;

  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *)&editor);
  /* As narrow as a phone, where the dialog stacks its buttons. */
  gtk_window_set_default_size (GTK_WINDOW (editor), 360, 640);
  gtk_window_present (GTK_WINDOW (editor));
  app_pump (200);
  sk_rule_editor_set_field (editor, "name", "Half typed");
  gtk_widget_activate_action (GTK_WIDGET (editor), "window.close", NULL);
  app_pump (200);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (editor);
  /* Return would answer Keep Editing, not Discard. */
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (dialog));

    g_assert_true (GTK_IS_BUTTON (focus));
    g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (focus)), ==, "_Keep Editing");
  }
  /* The dialog closes itself on its answer. */
  adw_message_dialog_response (dialog, "keep");
  app_pump (100);
  g_assert_nonnull (editor);
  gtk_widget_activate_action (GTK_WIDGET (editor), "window.close", NULL);
  app_pump (200);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "discard");
  g_assert_true (app_wait (editor_gone, &editor, 5000));

  editor = sk_rule_editor_new (GTK_WINDOW (f->window), NULL);
  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *)&editor);
  gtk_window_present (GTK_WINDOW (editor));
  app_pump (200);
  gtk_widget_activate_action (GTK_WIDGET (editor), "window.close", NULL);
  g_assert_true (app_wait (editor_gone, &editor, 5000));
  g_assert_null (app_find_dialog ());
}

/* The dialog's focus is on its button "_Продолжить редактирование". */
static gboolean
keep_focused (gpointer dialog)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (dialog));

  return GTK_IS_BUTTON (focus) && gtk_widget_get_mapped (focus)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (focus)), "_Продолжить редактирование")
                == 0;
}

/* A dialog over a phone-wide window lays its buttons out side by side,
 * then stacks them once it knows its size (as Russian's longer words make
 * the record editor's "Discard Changes?" do): the focus follows to the
 * default response, so Return does not answer the other. */
static void
test_dialog_focus_stacked (AppFixture *f, gconstpointer data)
{
  GtkWidget *narrow = gtk_window_new ();
  GtkWidget *dialog;
  GtkWidget *focus;

  gtk_window_set_transient_for (GTK_WINDOW (narrow), GTK_WINDOW (f->window));
  gtk_window_set_default_size (GTK_WINDOW (narrow), 360, 640);
  gtk_window_present (GTK_WINDOW (narrow));
  app_pump (200);
  dialog = adw_message_dialog_new (GTK_WINDOW (narrow), "Отменить изменения?",
                                   "Введённое здесь не сохранено.");
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "keep",
                                    "_Продолжить редактирование", "discard", "_Отменить изменения",
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  gtk_window_present (GTK_WINDOW (dialog));
  sk_message_dialog_focus_default (ADW_MESSAGE_DIALOG (dialog));
  /* Laid out side by side, then stacked: the focus ends on the default. */
  g_assert_true (app_wait (keep_focused, dialog, 10000));
  app_pump (300);
  g_assert_true (keep_focused (dialog));
  focus = gtk_root_get_focus (GTK_ROOT (dialog));
  g_assert_true (gtk_widget_get_mapped (focus));
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (narrow));
}

static void
test_preview (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (GError) error = NULL;
  SkRulePreview preview;
  gint64        now = sk_time_now ();

  g_object_set (rule, "name", "Everything 10 %", "type", SK_RULE_PERCENTAGE, "value", (gint64)1000,
                "is-active", TRUE, NULL);
  g_assert_true (sk_rule_preview_compute (db, rule, now - (gint64)30 * 86400 * G_USEC_PER_SEC, now,
                                          20000, &preview, &error));
  g_assert_no_error (error);
  g_assert_cmpint (preview.purchases, >, 0);
  g_assert_cmpint (preview.matched, ==, preview.purchases);
  g_assert_cmpint (preview.amount, >, 0);
}

/* Each customer's segment is read once, for their first purchase in the
 * period: that first purchase counts like every later one (it once read the
 * segment from a customer already freed; ASan saw it, and glibc's free list
 * overwrites the string, so the count was short even without ASan). */
/* A bonus multiplier's preview says what it does to the bonuses, not
 * "0,00 ₽ off". */
static void
test_preview_multiplier (AppFixture *f, gconstpointer data)
{
  SkRuleEditor *editor = sk_rule_editor_new (GTK_WINDOW (f->window), NULL);
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  gint64           now = sk_time_now ();
  SkRulePreview    preview;

  g_object_set (rule, "name", "Double bonuses", "type", SK_RULE_BONUS_MULTIPLIER, "value",
                (gint64)200, "is-active", TRUE, NULL);
  g_assert_true (sk_rule_preview_compute (f->db, rule, now - (gint64)30 * 86400 * G_USEC_PER_SEC,
                                          now, 20000, &preview, &error));
  g_assert_no_error (error);
  g_assert_cmpint (preview.matched, >, 0);
  expected = g_strdup_printf ("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " purchases, bonuses ×2",
                              preview.matched, preview.purchases);
  gtk_window_present (GTK_WINDOW (editor));
  sk_rule_editor_set_field (editor, "name", "Double bonuses");
  sk_rule_editor_set_field (editor, "type", "2");
  sk_rule_editor_set_field (editor, "value", "2");
  g_object_set_data (G_OBJECT (editor), "expected", expected);
  g_test_message ("expecting the preview “%s”", expected);
  g_assert_true (app_wait (preview_is, editor, 20000));
  gtk_window_destroy (GTK_WINDOW (editor));
}

static void
test_preview_segment (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (GPtrArray) purchases = NULL;
  g_autoptr (GError) error = NULL;
  const char   *segments[] = { SK_SEGMENT_REGULAR, NULL };
  SkRulePreview preview;
  gint64        now = sk_time_now (), from = now - (gint64)30 * 86400 * G_USEC_PER_SEC;
  gint64        expected = 0;

  g_object_set (rule, "name", "Regulars 10 %", "type", SK_RULE_PERCENTAGE, "value", (gint64)1000,
                "segments", segments, "is-active", TRUE, NULL);
  purchases = sk_database_list_purchases_between (db, from, now, 20000, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < purchases->len; i++)
    {
      SkPurchase *p = g_ptr_array_index (purchases, i);
      g_autoptr (SkCustomer) c = NULL;

      if (p->customer_id == NULL)
        continue;
      c = sk_database_get_customer (db, p->customer_id, &error);
      g_assert_no_error (error);
      expected += g_strcmp0 (c->segment, SK_SEGMENT_REGULAR) == 0;
    }
  g_assert_cmpint (expected, >, 0);

  g_assert_true (sk_rule_preview_compute (db, rule, from, now, 20000, &preview, &error));
  g_assert_no_error (error);
  g_assert_cmpint (preview.purchases, ==, purchases->len);
  g_assert_cmpint (preview.matched, ==, expected);
}

static gboolean
rules_loaded (gpointer view)
{
  return !sk_rules_view_get_loading (view);
}

/* A rule's conditions in the user's words: its segments and stores by
 * name, never their ids. */
static void
assert_conditions_named (AppFixture *f, SkRulesView *view)
{
  GListModel *rules = sk_rules_view_get_model (view);
  g_autoptr (GString) cells = g_string_new ("\n");
  g_autoptr (GString) stores = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (rules) && stores->len == 0; i++)
    {
      g_autoptr (SkDiscountRule) rule = g_list_model_get_item (rules, i);

      for (guint j = 0; rule->store_ids && rule->store_ids[j]; j++)
        {
          g_autoptr (SkStore) store = sk_database_get_store (f->db, rule->store_ids[j], NULL);

          g_assert_nonnull (store);
          g_string_append_printf (stores, "%s%s", j ? ", " : "", store->name);
        }
    }
  g_assert_cmpuint (stores->len, >, 0);
  app_pump (200);
  app_collect_text (GTK_WIDGET (view), cells);
  g_test_message ("rule cells:\n%s", cells->str);
  g_assert_nonnull (strstr (cells->str, stores->str));
  g_assert_nonnull (strstr (cells->str, "Regular, VIP"));
  g_assert_null (strstr (cells->str, "vip"));
  /* The rule of a draft campaign gives nothing, and says why. */
  {
    g_auto (GStrv) lines = g_strsplit (cells->str, "\n", -1);
    guint at = 0;

    while (lines[at] != NULL && g_strcmp0 (lines[at], "Летняя распродажа −30 %") != 0)
      at++;
    g_assert_cmpuint (at + 5, <, g_strv_length (lines));
    g_assert_cmpstr (lines[at + 5], ==, "Campaign not running");
  }
}

typedef struct
{
  SkRulesView *view;
  guint        n_reloads; /* before */
} Reloaded;

/* The list was read again since, and is not being read now. */
static gboolean
reloaded_since (gpointer data)
{
  Reloaded *r = data;

  return sk_rules_view_get_n_reloads (r->view) > r->n_reloads
         && !sk_rules_view_get_loading (r->view);
}

static gboolean
is_column_view (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

static GtkColumnView *
find_column_view (SkRulesView *view)
{
  return GTK_COLUMN_VIEW (app_find_widget (GTK_WIDGET (view), is_column_view, NULL));
}

static void
test_view (AppFixture *f, gconstpointer data)
{
  SkRulesView *view;
  guint        n;

  sk_window_show_view (f->window, "rules");
  view = SK_RULES_VIEW (sk_window_get_view (f->window, "rules"));
  /* Read off the main thread: waited for, not a while (a loaded machine). */
  app_pump (100);
  g_assert_true (app_wait (rules_loaded, view, 30000));
  n = g_list_model_get_n_items (sk_rules_view_get_model (view));
  g_assert_cmpuint (n, >, 0);
  assert_conditions_named (f, view);
  /* The enable button says what it will do to the rule selected. */
  {
    GListModel         *rules = sk_rules_view_get_model (view);
    GtkSingleSelection *selection
        = GTK_SINGLE_SELECTION (gtk_column_view_get_model (find_column_view (view)));
    GtkButton *toggle
        = GTK_BUTTON (app_find_widget (GTK_WIDGET (view), app_is_action_button, "rules.toggle"));

    g_assert_nonnull (toggle);
    for (guint i = 0; i < g_list_model_get_n_items (rules); i++)
      {
        g_autoptr (SkDiscountRule) rule = g_list_model_get_item (rules, i);

        gtk_single_selection_set_selected (selection, i);
        g_assert_cmpstr (gtk_button_get_label (toggle), ==,
                         rule->is_active ? "_Disable" : "_Enable");
      }
  }
  /* A duplicate is selected once listed: Edit and Enable act on it, not on
   * whatever row the list's order left selected. */
  {
    GListModel *rules = sk_rules_view_get_model (view);
    g_autoptr (SkDiscountRule) original = g_list_model_get_item (rules, 3);
    g_autofree char *copy_name = g_strdup_printf ("%s (copy)", original->name);
    Reloaded         reloaded = { view, sk_rules_view_get_n_reloads (view) };
    SkDiscountRule  *selected;

    gtk_single_selection_set_selected (
        GTK_SINGLE_SELECTION (gtk_column_view_get_model (find_column_view (view))), 3);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "rules.duplicate", NULL));
    g_assert_true (app_wait (reloaded_since, &reloaded, 30000));
    selected = gtk_single_selection_get_selected_item (
        GTK_SINGLE_SELECTION (gtk_column_view_get_model (find_column_view (view))));
    g_assert_nonnull (selected);
    g_assert_cmpstr (selected->name, ==, copy_name);
  }
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_MANAGER);
  sk_rules_view_reload (view);
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (view), "rules.new", NULL)
                  && gtk_widget_get_visible (GTK_WIDGET (view)) && FALSE);
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_ADMIN);
  /* Nothing left in flight when the window goes. */
  app_pump (100);
  g_assert_true (app_wait (rules_loaded, view, 30000));
}

/* A percentage rule of the demo chain, as stored, valid until 2030. */
static SkDiscountRule *
percentage_rule (SkDatabase *db)
{
  g_autoptr (GPtrArray) rules = sk_database_list_rules (db, NULL);

  for (guint i = 0; rules && i < rules->len; i++)
    {
      SkDiscountRule *r = g_ptr_array_index (rules, i);

      if (g_strcmp0 (r->type, SK_RULE_PERCENTAGE) == 0 && r->value != 700)
        {
          g_autoptr (GError) error = NULL;

          /* Valid until a midnight, as HQ or the demo may store it. */
          g_object_set (r, "valid-from", (gint64)0, "valid-until",
                        (gint64)1893456000 * G_USEC_PER_SEC, NULL);
          g_assert_true (sk_database_save_rule (db, r, &error));
          g_assert_no_error (error);
          return sk_database_get_rule (db, r->id, NULL);
        }
    }
  g_assert_not_reached ();
}

/* The editor holds a copy; someone saves the rule behind its back (a new
 * name, value and description); the user changes the name and the value
 * and saves: asked about those two, which both changed, only, and the
 * merge (their name and description, the user's value) is what the store
 * keeps. */
static void
test_conflict (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = percentage_rule (f->db);
  g_autoptr (SkDiscountRule) theirs = sk_database_get_rule (f->db, rule->id, NULL);
  g_autoptr (SkDiscountRule) stored = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  SkRuleEditor     *editor = sk_rule_editor_new (GTK_WINDOW (f->window), rule);
  AdwMessageDialog *dialog;
  gint64            their_version;

  gtk_window_present (GTK_WINDOW (editor));
  g_assert_true (app_wait (categories_listed, editor, 10000));

  g_object_set (theirs, "name", "Renamed at HQ", "description", "Their words", "value",
                rule->value + 500, NULL);
  g_assert_true (sk_database_save_rule (f->db, theirs, &error));
  g_assert_no_error (error);
  their_version = theirs->version;
  g_assert_cmpint (their_version, >, rule->version);

  sk_rule_editor_set_field (editor, "name", "Renamed at the till");
  sk_rule_editor_set_field (editor, "value", "7");
  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, &result);
  g_assert_true (app_wait (app_dialog_shown, NULL, 10000));
  app_pump (200);
  dialog = app_find_dialog ();
  /* The two fields both changed, the user's side chosen; nothing else:
   * the description only they changed is theirs without asking. */
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), "Name", "Yours", FALSE));
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), "Value", "Yours", FALSE));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Description"));
  g_assert_true (gtk_toggle_button_get_active (
      app_find_toggle (GTK_WIDGET (dialog), "Value", "Yours", FALSE)));
  g_assert_null (app_find_toggle (GTK_WIDGET (dialog), "Priority", "Yours", FALSE));
  g_assert_null (app_find_toggle (GTK_WIDGET (dialog), "Type", "Yours", FALSE));
  /* Lists equal in content, and dates left as shown, are no difference. */
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Categories"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Segments"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Stores"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Valid until"));
  /* The value as the editor shows it: a percentage, not hundredths. */
  {
    g_autofree char *subtitle
        = g_strdup_printf ("Yours: 7 %%\nTheirs: %g %%", (rule->value + 500) / 100.0);

    g_assert_cmpstr (
        adw_action_row_get_subtitle (app_find_action_row (GTK_WIDGET (dialog), "Value")), ==,
        subtitle);
  }
  gtk_toggle_button_set_active (app_find_toggle (GTK_WIDGET (dialog), "Name", "Theirs", FALSE),
                                TRUE);
  app_save_png (GTK_WIDGET (dialog), "rule-conflict");
  gtk_widget_activate (app_find_button (GTK_WIDGET (dialog), "_Merge"));
  g_assert_true (
      sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), &error));
  g_assert_no_error (error);

  stored = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->name, ==, "Renamed at HQ");
  g_assert_cmpstr (stored->description, ==, "Their words");
  g_assert_cmpint (stored->value, ==, 700);
  g_assert_cmpint (stored->priority, ==, rule->priority);
  g_assert_cmpint (stored->version, ==, their_version + 1);
  /* The editor now holds what was saved: saving again is no conflict. */
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  g_assert_null (app_find_dialog ());

  /* Saved elsewhere once more; the user cancels: nothing is saved, and
   * the editor says so. */
  g_clear_object (&theirs);
  theirs = sk_database_get_rule (f->db, rule->id, NULL);
  g_object_set (theirs, "priority", rule->priority + 5, "value", (gint64)900, NULL);
  g_assert_true (sk_database_save_rule (f->db, theirs, &error));
  g_assert_no_error (error);
  sk_rule_editor_set_field (editor, "value", "8");
  g_clear_object (&result);
  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, &result);
  g_assert_true (app_wait (app_dialog_shown, NULL, 10000));
  dialog = app_find_dialog ();
  g_assert_nonnull (app_find_action_row (GTK_WIDGET (dialog), "Value"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Priority"));
  gtk_widget_activate (app_find_button (GTK_WIDGET (dialog), "_Cancel"));
  g_assert_false (
      sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_STALE);
  g_assert_cmpstr (sk_record_editor_get_error (SK_RECORD_EDITOR (editor)), ==, error->message);
  g_clear_error (&error);
  g_clear_object (&stored);
  stored = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_cmpint (stored->value, ==, 900);
  g_assert_cmpint (stored->priority, ==, rule->priority + 5);
  g_assert_cmpint (stored->version, ==, theirs->version);
  gtk_window_destroy (GTK_WINDOW (editor));
}

/* Changes that do not meet are both kept without asking: someone renames
 * the rule while the user changes its value. */
static void
test_conflict_apart (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = percentage_rule (f->db);
  g_autoptr (SkDiscountRule) theirs = sk_database_get_rule (f->db, rule->id, NULL);
  g_autoptr (SkDiscountRule) stored = NULL;
  g_autoptr (GError) error = NULL;
  SkRuleEditor *editor = sk_rule_editor_new (GTK_WINDOW (f->window), rule);

  gtk_window_present (GTK_WINDOW (editor));
  g_assert_true (app_wait (categories_listed, editor, 10000));
  g_object_set (theirs, "name", "Renamed at HQ", NULL);
  g_assert_true (sk_database_save_rule (f->db, theirs, &error));
  g_assert_no_error (error);

  sk_rule_editor_set_field (editor, "value", "7");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  g_assert_null (app_find_dialog ());
  stored = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->name, ==, "Renamed at HQ");
  g_assert_cmpint (stored->value, ==, 700);
  g_assert_cmpint (stored->version, ==, theirs->version + 1);
  gtk_window_destroy (GTK_WINDOW (editor));
}

int
main (int argc, char *argv[])
{
  app_test_init (&argc, &argv);
  app_test_add ("/app/rules/editor", test_editor);
  app_test_add ("/app/rules/editor-money", test_editor_money);
  app_test_add ("/app/rules/editor-discard", test_editor_discard);
  app_test_add ("/app/rules/dialog-focus-stacked", test_dialog_focus_stacked);
  app_test_add ("/app/rules/editor-examples", test_editor_examples);
  app_test_add ("/app/rules/preview", test_preview);
  app_test_add ("/app/rules/preview-segment", test_preview_segment);
  app_test_add ("/app/rules/preview-multiplier", test_preview_multiplier);
  app_test_add ("/app/rules/view", test_view);
  app_test_add ("/app/rules/conflict", test_conflict);
  app_test_add ("/app/rules/conflict-apart", test_conflict_apart);
  return g_test_run ();
}
