/* test-app-campaigns.c: the campaign editor refuses bad dates and budgets
 * with a message, saves a valid campaign, and opens a saved one with its
 * fields filled in and its rules checked; a campaign saved by someone else
 * meanwhile is saved over (keep mine) or shown (take theirs).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-campaign-editor.h"
#include "sk-campaigns-view.h"
#include "sk-choice-row.h"
#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-notifications.h"
#include "sk-test-util.h"
#include "test-app-common.h"

static void
collect_checks (GtkWidget *root, GPtrArray *checks)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      /* The segments' and stores' choices are not the rules'. */
      if (SK_IS_CHOICE_ROW (child))
        continue;
      if (GTK_IS_CHECK_BUTTON (child))
        g_ptr_array_add (checks, child);
      collect_checks (child, checks);
    }
}

/* The demo chain has campaigns that group rules. */
static SkCampaign *
campaign_with_rules (SkDatabase *db)
{
  g_autoptr (GPtrArray) all = sk_database_list_campaigns (db, NULL);

  for (guint i = 0; all && i < all->len; i++)
    {
      SkCampaign *c = g_ptr_array_index (all, i);

      if (c->rule_ids != NULL && c->rule_ids[0] != NULL)
        return g_object_ref (c);
    }
  g_assert_not_reached ();
}

static gboolean
editor_save (SkCampaignEditor *editor, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, &result);
  return sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), error);
}

static void
expect_refused (SkCampaignEditor *editor)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (editor_save (editor, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_test_message ("refused: %s", error->message);
}

static void
saved_cb (SkCampaignEditor *editor, SkCampaign *campaign, gpointer user_data)
{
  g_set_object ((SkCampaign **)user_data, campaign);
}

/* A row whose title starts with @title (a date's says how to write it). */
static gboolean
is_row_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title);
}

static GtkWidget *
row_titled (SkCampaignEditor *editor, const char *title)
{
  GtkWidget *row = app_find_widget (GTK_WIDGET (editor), is_row_titled, title);

  g_assert_nonnull (row);
  return row;
}

static gboolean
is_channels_row (GtkWidget *widget, gconstpointer data)
{
  return SK_IS_CHOICE_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), "Channels")
                == 0;
}

static void
test_editor (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (GPtrArray) rules = sk_database_list_rules (db, NULL);
  g_autoptr (GPtrArray) checks = g_ptr_array_new ();
  g_autoptr (SkCampaign) saved = NULL;
  g_autoptr (SkCampaign) stored = NULL;
  g_autoptr (SkCampaign) grouped = campaign_with_rules (db);
  g_autoptr (GError) error = NULL;
  SkCampaignEditor *editor = sk_campaign_editor_new (GTK_WINDOW (f->window),
                                                     sk_application_get_repository (f->app), NULL);
  SkCampaignEditor *again;

  g_signal_connect (editor, "saved", G_CALLBACK (saved_cb), &saved);
  gtk_window_present (GTK_WINDOW (editor));
  app_pump (300);

  /* One check per rule, each named for screen readers by its rule. */
  collect_checks (GTK_WIDGET (editor), checks);
  g_assert_cmpuint (rules->len, >, 0);
  g_assert_cmpuint (checks->len, ==, rules->len);

  sk_campaign_editor_set_text (editor, "name", "Back to school");
  sk_campaign_editor_set_text (editor, "starts", "31.09.2026");
  expect_refused (editor); /* not a date */
  /* Pasted in ISO, or typed as the locale writes dates (gtk_test_init's
   * en_US: 09/30/2026; C: 30.09.2026). */
  sk_campaign_editor_set_text (editor, "starts", "2026-09-01");
  sk_campaign_editor_set_text (editor, "ends", "2026-08-01");
  expect_refused (editor); /* ends before it starts */
  /* The field that is wrong is marked, the others not. */
  g_assert_true (gtk_widget_has_css_class (row_titled (editor, "Ends"), "error"));
  g_assert_false (gtk_widget_has_css_class (row_titled (editor, "Starts"), "error"));
  {
    g_autofree char *ends = sk_date_display_from_iso ("2026-09-30");

    g_assert_cmpstr (ends, !=, "2026-09-30");
    sk_campaign_editor_set_text (editor, "ends", ends);
  }
  sk_campaign_editor_set_text (editor, "budget", "lots");
  expect_refused (editor);
  g_assert_true (
      gtk_widget_has_css_class (row_titled (editor, "Budget, ₽ (empty: none)"), "error"));
  g_assert_false (gtk_widget_has_css_class (row_titled (editor, "Ends"), "error"));
  g_assert_null (saved);
  /* Below zero is said as such, not as "not an amount". */
  sk_campaign_editor_set_text (editor, "budget", "-500");
  g_assert_false (editor_save (editor, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "below zero"));
  g_clear_error (&error);
  g_assert_null (saved);

  sk_campaign_editor_set_text (editor, "budget", "50 000");
  sk_campaign_editor_set_text (editor, "segments", "vip, regular");
  /* Channels are picked from the three, by name, not typed. */
  {
    GtkWidget *channels = app_find_widget (GTK_WIDGET (editor), is_channels_row, NULL);

    g_assert_nonnull (channels);
    g_assert_cmpuint (sk_choice_row_get_n_choices (SK_CHOICE_ROW (channels)), ==, 3);
    g_assert_nonnull (app_find_label (channels, "SMS"));
  }
  sk_campaign_editor_set_text (editor, "channels", "email");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  g_assert_nonnull (saved);
  g_assert_nonnull (saved->id);
  gtk_window_destroy (GTK_WINDOW (editor));

  stored = sk_database_get_campaign (db, saved->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->name, ==, "Back to school");
  g_assert_cmpint (stored->budget, ==, 5000000);
  /* 2026-09-01 00:00 to 2026-09-30 23:59:59.999999, UTC. */
  g_assert_cmpint (stored->starts_at, ==, (gint64)1788220800 * G_USEC_PER_SEC);
  g_assert_cmpint (stored->ends_at, ==, (gint64)(1790726400 + 86400) * G_USEC_PER_SEC - 1);
  g_assert_nonnull (stored->segments);
  /* Picked by name; stored as codes, in the order they are offered. */
  g_assert_cmpuint (g_strv_length (stored->segments), ==, 2);
  g_assert_cmpstr (stored->segments[0], ==, "regular");
  g_assert_cmpstr (stored->segments[1], ==, "vip");

  /* Opened again: its fields filled in, its rules checked. */
  again = sk_campaign_editor_new (GTK_WINDOW (f->window), sk_application_get_repository (f->app),
                                  grouped);
  gtk_window_present (GTK_WINDOW (again));
  app_pump (300);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (again)), ==, "Edit Campaign");
  g_ptr_array_set_size (checks, 0);
  collect_checks (GTK_WIDGET (again), checks);
  g_assert_cmpuint (checks->len, ==, rules->len);
  {
    guint active = 0;

    for (guint i = 0; i < checks->len; i++)
      active += gtk_check_button_get_active (g_ptr_array_index (checks, i));
    g_assert_cmpuint (active, ==, g_strv_length (grouped->rule_ids));
  }
  app_save_png (GTK_WIDGET (again), "campaign-editor");
  /* Saved unchanged, it stays valid. */
  g_assert_true (editor_save (again, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (again));
}

/* The budget is money in kopecks, shown and read by the one money helper:
 * saved unchanged it stays 1 234,56 ₽ (not 1 234,00 ₽), and what a user
 * types with kopecks is kept to the kopeck. */
static void
test_budget_kopecks (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (SkCampaign) campaign = campaign_with_rules (db);
  g_autoptr (SkCampaign) stored = NULL;
  g_autoptr (SkCampaign) typed = NULL;
  g_autoptr (GError) error = NULL;
  SkCampaignEditor *editor;

  g_object_set (campaign, "budget", (gint64)123456, NULL);
  g_assert_true (sk_database_save_campaign (db, campaign, &error));
  g_assert_no_error (error);
  g_clear_object (&campaign);
  campaign = campaign_with_rules (db);
  g_assert_cmpint (campaign->budget, ==, 123456);

  /* Opened and saved unchanged. */
  editor = sk_campaign_editor_new (GTK_WINDOW (f->window), sk_application_get_repository (f->app),
                                   campaign);
  gtk_window_present (GTK_WINDOW (editor));
  app_pump (300);
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (editor));
  stored = sk_database_get_campaign (db, campaign->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->budget, ==, 123456);

  /* Typed by a user, with kopecks. */
  editor = sk_campaign_editor_new (GTK_WINDOW (f->window), sk_application_get_repository (f->app),
                                   stored);
  gtk_window_present (GTK_WINDOW (editor));
  app_pump (300);
  sk_campaign_editor_set_text (editor, "budget", "1 234,56");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (editor));
  typed = sk_database_get_campaign (db, campaign->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (typed->budget, ==, 123456);
}

/* Saving meets the other version: the conflict dialog, once it is up. */
static AdwMessageDialog *
save_into_conflict (SkCampaignEditor *editor, GAsyncResult **result)
{
  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, result);
  g_assert_true (app_wait (app_dialog_shown, NULL, 10000));
  app_pump (200);
  return app_find_dialog ();
}

/* Someone changes the campaign's name, budget, channels and description
 * behind the editor's back while the user changes its name, budget and
 * channels. Asked about the three both changed, keep mine: those as the
 * user has them, the description as the other saved it (it was lost),
 * saved over the other version. Then, after another rename elsewhere and
 * the user's, take theirs: the editor shows it and the store keeps it
 * untouched. */
static void
test_conflict (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCampaign) campaign = campaign_with_rules (f->db);
  g_autoptr (SkCampaign) theirs = sk_database_get_campaign (f->db, campaign->id, NULL);
  g_autoptr (SkCampaign) stored = NULL;
  g_autoptr (SkCampaign) shown = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  SkCampaignEditor *editor = sk_campaign_editor_new (
      GTK_WINDOW (f->window), sk_application_get_repository (f->app), campaign);
  const char       *channels[] = { "push", NULL };
  AdwMessageDialog *dialog;
  gint64            their_version;

  g_signal_connect (editor, "saved", G_CALLBACK (saved_cb), &shown);
  gtk_window_present (GTK_WINDOW (editor));
  app_pump (300);

  g_object_set (theirs, "name", "Renamed at HQ", "budget", campaign->budget + 100000, "channels",
                channels, "description", "Described at HQ", NULL);
  g_assert_true (sk_database_save_campaign (f->db, theirs, &error));
  g_assert_no_error (error);
  their_version = theirs->version;

  sk_campaign_editor_set_text (editor, "name", "Renamed at the till");
  sk_campaign_editor_set_text (editor, "channels", "sms");
  sk_campaign_editor_set_text (editor, "budget", "1");
  dialog = save_into_conflict (editor, &result);
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), "Name", "Yours", FALSE));
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), "Budget", "Yours", FALSE));
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), "Channels", "Yours", FALSE));
  /* Only they changed it: not asked, theirs kept. */
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Description"));
  /* Lists equal in content, and dates left as shown, are no difference. */
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Ends"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Starts"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Segments"));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Stores"));
  /* The budget in rubles, as the editor shows it. */
  {
    g_autofree char *mine = sk_money_format (100);
    g_autofree char *other = sk_money_format (campaign->budget + 100000);
    g_autofree char *subtitle = g_strdup_printf ("Yours: %s\nTheirs: %s", mine, other);

    g_assert_cmpstr (
        adw_action_row_get_subtitle (app_find_action_row (GTK_WIDGET (dialog), "Budget")), ==,
        subtitle);
  }
  app_save_png (GTK_WIDGET (dialog), "campaign-conflict");
  gtk_widget_activate (app_find_button (GTK_WIDGET (dialog), "_Keep Mine"));
  g_assert_true (
      sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), &error));
  g_assert_no_error (error);
  stored = sk_database_get_campaign (f->db, campaign->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->name, ==, "Renamed at the till");
  g_assert_cmpint (stored->budget, ==, 100);
  g_assert_cmpuint (g_strv_length (stored->channels), ==, 1);
  g_assert_cmpstr (stored->channels[0], ==, "sms");
  g_assert_cmpstr (stored->description, ==, "Described at HQ");
  g_assert_cmpuint (g_strv_length (stored->rule_ids), ==, g_strv_length (campaign->rule_ids));
  g_assert_cmpint (stored->version, ==, their_version + 1);
  g_assert_nonnull (shown);
  g_assert_cmpstr (shown->name, ==, "Renamed at the till");

  /* Once more behind its back; this time the user takes theirs. */
  g_clear_object (&theirs);
  theirs = sk_database_get_campaign (f->db, campaign->id, NULL);
  g_object_set (theirs, "name", "Renamed at HQ again", NULL);
  g_assert_true (sk_database_save_campaign (f->db, theirs, &error));
  g_assert_no_error (error);
  their_version = theirs->version;
  sk_campaign_editor_set_text (editor, "name", "Renamed at the till again");
  sk_campaign_editor_set_text (editor, "budget", "2");
  g_clear_object (&result);
  dialog = save_into_conflict (editor, &result);
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), "Name", "Yours", FALSE));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), "Budget"));
  gtk_widget_activate (app_find_button (GTK_WIDGET (dialog), "_Take Theirs"));
  g_assert_false (
      sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_STALE);
  g_clear_error (&error);
  g_clear_object (&stored);
  stored = sk_database_get_campaign (f->db, campaign->id, &error);
  g_assert_cmpstr (stored->name, ==, "Renamed at HQ again");
  g_assert_cmpint (stored->budget, ==, 100);
  g_assert_cmpint (stored->version, ==, their_version);
  /* The editor shows their version and edits from it: someone renames it
   * once more meanwhile, and the user's description and their name are
   * both saved, without asking. */
  sk_campaign_editor_set_text (editor, "description", "Seen both");
  g_clear_object (&theirs);
  theirs = sk_database_get_campaign (f->db, campaign->id, NULL);
  g_object_set (theirs, "name", "Renamed at HQ a third time", NULL);
  g_assert_true (sk_database_save_campaign (f->db, theirs, &error));
  g_assert_no_error (error);
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  g_assert_null (app_find_dialog ());
  g_clear_object (&stored);
  stored = sk_database_get_campaign (f->db, campaign->id, &error);
  g_assert_cmpstr (stored->name, ==, "Renamed at HQ a third time");
  g_assert_cmpstr (stored->description, ==, "Seen both");
  g_assert_cmpint (stored->budget, ==, 100);
  gtk_window_destroy (GTK_WINDOW (editor));
}

static gboolean
campaigns_loaded (gpointer view)
{
  return !sk_campaigns_view_get_loading (view);
}

static gboolean
is_drop_down (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_DROP_DOWN (widget);
}

/* Is a label reading @text on screen in @view? */
static gboolean
shown (SkCampaignsView *view, const char *text)
{
  GtkWidget *label = app_find_label (GTK_WIDGET (view), text);

  return label != NULL && gtk_widget_get_mapped (label);
}

/* The status filter leaves nothing: the page says so, not "No Campaigns"
 * as if the chain had none. */
static void
test_filter_empty (AppFixture *f, gconstpointer data)
{
  SkCampaignsView *view;
  GtkDropDown     *filter;

  sk_window_show_view (f->window, "campaigns");
  view = SK_CAMPAIGNS_VIEW (sk_window_get_view (f->window, "campaigns"));
  filter = GTK_DROP_DOWN (app_find_widget (GTK_WIDGET (view), is_drop_down, NULL));
  g_assert_nonnull (filter);
  app_pump (100);
  g_assert_true (app_wait (campaigns_loaded, view, 20000));
  g_assert_false (shown (view, "No Campaigns With This Status"));
  gtk_drop_down_set_selected (filter, 5); /* Archived: the demo has none */
  app_pump (100);
  g_assert_true (app_wait (campaigns_loaded, view, 20000));
  app_pump (100);
  g_assert_true (shown (view, "No Campaigns With This Status"));
  g_assert_false (shown (view, "No Campaigns"));
  app_save_png (GTK_WIDGET (view), "campaigns-filtered-empty");
}

static gboolean
is_column_view (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

/* The campaigns view as marketing sees it, its list read; *column_view its
 * list. */
static SkCampaignsView *
show_campaigns (AppFixture *f, GtkColumnView **column_view)
{
  SkCampaignsView *view;

  g_settings_set_string (sk_application_get_settings (f->app), "role", "marketing");
  sk_window_show_view (f->window, "campaigns");
  view = SK_CAMPAIGNS_VIEW (sk_window_get_view (f->window, "campaigns"));
  app_pump (100);
  g_assert_true (app_wait (campaigns_loaded, view, 20000));
  *column_view = GTK_COLUMN_VIEW (app_find_widget (GTK_WIDGET (view), is_column_view, NULL));
  return view;
}

static gboolean
has_dialog (gpointer data)
{
  return app_find_dialog () != NULL;
}

static gboolean
announced (gpointer db)
{
  return sk_test_query_int (db, "SELECT count(*) FROM notifications WHERE event = 'campaign'", NULL)
         > 0;
}

/* Marketing announces a campaign: the dialog says whom it reaches, and Send
 * queues a message to each of them, once. */
static void
test_announce (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCampaign) campaign = NULL;
  g_autofree char   *expected = NULL;
  SkCampaignsView   *view;
  GtkColumnView     *column_view;
  GtkSelectionModel *model;
  AdwMessageDialog  *dialog;
  GtkWidget         *announce;
  SkReach            reach = { 0 };

  view = show_campaigns (f, &column_view);
  model = gtk_column_view_get_model (column_view);
  announce = app_find_button (GTK_WIDGET (view), "_Announce…");
  g_assert_nonnull (announce);
  /* The campaign that reaches the most customers, so there is someone;
   * a draft, an ended one or one whose budget is used up is not announced. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr (SkCampaign) c = g_list_model_get_item (G_LIST_MODEL (model), i);
      gboolean running = sk_campaign_can_take_part (c, sk_time_now (), NULL);
      SkReach  r;

      gtk_selection_model_select_item (model, i, TRUE);
      app_pump (50);
      g_assert_true (gtk_widget_get_sensitive (announce) == running);
      /* Why not, in the button's tooltip. */
      g_assert_true ((gtk_widget_get_tooltip_text (announce) != NULL) == !running);
      if (!running)
        continue;

      g_assert_true (sk_database_campaign_reach (f->db, sk_record_get_id (c), &r, &error));
      g_assert_no_error (error);
      if (campaign == NULL || r.customers > reach.customers)
        {
          g_set_object (&campaign, c);
          reach = r;
        }
    }
  g_assert_nonnull (campaign);
  g_assert_cmpint (reach.customers, >, 0);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr (SkCampaign) c = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (c == campaign)
        gtk_selection_model_select_item (model, i, TRUE);
    }
  app_pump (50);
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(*) FROM notifications"
                                      " WHERE event = 'campaign'",
                                      NULL),
                   ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (view), "campaigns.announce", NULL);
  g_assert_true (app_wait (has_dialog, NULL, 10000));
  dialog = app_find_dialog ();
  expected = g_strdup_printf ("It goes to %" G_GINT64_FORMAT " customer", reach.customers);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), expected));
  app_pump (300);
  app_save_png (GTK_WIDGET (dialog), "campaigns-announce");
  adw_message_dialog_response (dialog, "send");
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (app_wait (announced, f->db, 10000));
  app_pump (300);
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(DISTINCT customer_id) FROM notifications"
                                      " WHERE event = 'campaign'",
                                      NULL),
                   ==, reach.customers);

  /* Again: everyone has had it; nothing to send. */
  g_assert_null (app_find_dialog ());
  gtk_widget_activate_action (GTK_WIDGET (view), "campaigns.announce", NULL);
  g_assert_true (app_wait (has_dialog, NULL, 10000));
  dialog = app_find_dialog ();
  g_free (expected);
  expected
      = g_strdup_printf ("%" G_GINT64_FORMAT " customers have had it already", reach.customers);
  g_test_message ("%s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), expected));
  g_assert_false (adw_message_dialog_has_response (dialog, "send"));
  gtk_window_close (GTK_WINDOW (dialog));
  app_pump (300);
}

/* A campaign marked active whose end has passed gives nothing: the list
 * says "Ended", as the rules view says its rules' campaign is not running. */
static void
test_status_ended (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (GError) error = NULL;
  SkCampaignsView *view;

  g_object_set (campaign, "name", "Winter 2020", "status", "active", "starts-at",
                (gint64)1577836800 * G_USEC_PER_SEC, "ends-at", (gint64)1580515200 * G_USEC_PER_SEC,
                NULL);
  g_assert_true (sk_database_save_campaign (f->db, campaign, &error));
  g_assert_no_error (error);
  sk_window_show_view (f->window, "campaigns");
  view = SK_CAMPAIGNS_VIEW (sk_window_get_view (f->window, "campaigns"));
  sk_campaigns_view_reload (view);
  app_pump (100);
  g_assert_true (app_wait (campaigns_loaded, view, 20000));
  app_pump (200);
  {
    g_autoptr (GString) text = g_string_new ("\n");
    g_autofree char *row = NULL;

    app_collect_text (GTK_WIDGET (view), text);
    row = g_strdup ("\nWinter 2020\nEnded\n");
    g_test_message ("%s", text->str);
    g_assert_nonnull (strstr (text->str, row));
  }
}

static gboolean
editor_open (gpointer f)
{
  return app_find_window (f, SK_TYPE_CAMPAIGN_EDITOR) != NULL;
}

static gboolean
selected_is (gpointer data)
{
  gpointer   *pair = data;
  SkCampaign *c = gtk_single_selection_get_selected_item (pair[0]);

  return c != NULL && g_strcmp0 (sk_record_get_id (c), pair[1]) == 0;
}

/* Return on a campaign edits it; once saved, the list read again keeps
 * it selected, its figures beside it, wherever it was in the list. */
static void
test_edit_keeps_selection (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCampaign) edited = NULL;
  g_autofree char   *id = NULL;
  SkCampaignsView   *view;
  GtkColumnView     *column_view;
  GtkSelectionModel *model;
  SkCampaignEditor  *editor;
  gpointer           pair[2];
  guint              last;

  view = show_campaigns (f, &column_view);
  model = gtk_column_view_get_model (column_view);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >, 2);
  last = g_list_model_get_n_items (G_LIST_MODEL (model)) - 1;
  edited = g_list_model_get_item (G_LIST_MODEL (model), last);
  id = g_strdup (sk_record_get_id (edited));
  gtk_selection_model_select_item (model, last, TRUE);
  /* The keyboard on the list, as Return on a row leaves it. */
  gtk_widget_grab_focus (GTK_WIDGET (column_view));
  app_pump (100);
  g_assert_true (app_focus_within (f, GTK_WIDGET (column_view)));
  g_signal_emit_by_name (column_view, "activate", last);
  g_assert_true (app_wait (editor_open, f, 5000));
  editor = SK_CAMPAIGN_EDITOR (app_find_window (f, SK_TYPE_CAMPAIGN_EDITOR));
  sk_campaign_editor_set_text (editor, "description", "Edited from the list");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (editor));
  app_pump (300);
  g_assert_true (app_wait (campaigns_loaded, view, 20000));
  pair[0] = model;
  pair[1] = id;
  g_assert_true (app_wait (selected_is, pair, 5000));
  app_pump (200);
  g_assert_true (selected_is (pair));
  g_assert_nonnull (app_find_label (GTK_WIDGET (view), "Edited from the list"));
  /* And the keyboard is still on the list, not on the view switcher. */
  g_assert_true (app_focus_within (f, GTK_WIDGET (column_view)));
}

int
main (int argc, char *argv[])
{
  app_test_init (&argc, &argv);
  app_test_add ("/app/campaigns/editor", test_editor);
  app_test_add ("/app/campaigns/budget-kopecks", test_budget_kopecks);
  app_test_add ("/app/campaigns/conflict", test_conflict);
  app_test_add ("/app/campaigns/filter-empty", test_filter_empty);
  app_test_add ("/app/campaigns/status-ended", test_status_ended);
  app_test_add ("/app/campaigns/announce", test_announce);
  app_test_add ("/app/campaigns/edit-keeps-selection", test_edit_keeps_selection);
  return g_test_run ();
}
