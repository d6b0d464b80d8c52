/* sk-campaigns-view.c: campaigns listed by status with their figures
 * (purchases, revenue, discount, bonuses, customers, budget); new and edit
 * open the campaign editor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "sk-analytics.h"
#include "sk-campaign-editor.h"
#include "sk-campaigns-view.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-notifications.h"
#include "sk-widgets.h"

struct _SkCampaignsView
{
  AdwBin parent_instance;

  GtkStack            *stack;
  GtkColumnView       *column_view;
  GtkDropDown         *status_filter;
  AdwPreferencesGroup *figures_group;
  GtkWidget           *announce_button;      /* at a desk's width */
  GtkWidget           *announce_icon_button; /* on a phone */

  GListStore         *campaigns;
  GtkSingleSelection *selection;
  GPtrArray          *figure_rows;
  GCancellable       *cancellable;         /* the list being read */
  GCancellable       *figures_cancellable; /* the figures being read */
  char               *select_id;           /* the campaign just saved, selected once listed */
  gboolean            loaded;
};

G_DEFINE_FINAL_TYPE (SkCampaignsView, sk_campaigns_view, ADW_TYPE_BIN)

static const SkDisplayName statuses[] = {
  { "draft", N_ ("Draft") },       { "scheduled", N_ ("Scheduled") }, { "active", N_ ("Active") },
  { "finished", N_ ("Finished") }, { "archived", N_ ("Archived") },
};

static int
status_rank (const char *status)
{
  static const int rank[] = { 2, 1, 0, 3, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    if (g_strcmp0 (status, statuses[i].code) == 0)
      return rank[i];
  return 5;
}

static char *
cell_name (gpointer item)
{
  return g_strdup (sk_record_get_string (item, "name"));
}

/* The status as stored, and for a running one whether it still gives
 * anything: its budget spent or its dates past, its rules give nothing (the
 * rules view says the same). */
static char *
cell_status (gpointer item)
{
  const char *status = sk_record_get_string (item, "status");
  g_autoptr (GError) why = NULL;

  if (!sk_campaign_can_take_part (SK_CAMPAIGN (item), sk_time_now (), &why))
    {
      if (g_strcmp0 (sk_error_get_field (why), "budget") == 0)
        return g_strdup (_ ("Budget used up"));
      if (g_strcmp0 (sk_error_get_field (why), "ends_at") == 0)
        return g_strdup (C_ ("campaign", "Ended"));
    }
  return g_strdup (sk_display_name (statuses, G_N_ELEMENTS (statuses), status));
}

static char *
cell_period (gpointer item)
{
  g_autofree char *from = sk_date_display_from_usec (sk_record_get_int64 (item, "starts_at"));
  g_autofree char *to = sk_date_display_from_usec (sk_record_get_int64 (item, "ends_at"));

  /* In the locale's dates, as they are typed in the editor; an open end as "…". */
  return g_strdup_printf ("%s – %s", *from ? from : "…", *to ? to : "…");
}

static char *
cell_segments (gpointer item)
{
  const char *const *segments = sk_record_get_strv (item, "segments");

  return segments && segments[0] ? g_strjoinv (", ", (char **)segments) : g_strdup (_ ("everyone"));
}

static char *
cell_budget (gpointer item)
{
  gint64           budget_kopecks = sk_record_get_int64 (item, "budget");
  g_autofree char *spent = sk_money_format (sk_record_get_int64 (item, "spent"));
  g_autofree char *budget = sk_money_format (budget_kopecks);

  return budget_kopecks > 0 ? g_strdup_printf ("%s / %s", spent, budget)
                            : g_strdup_printf (_ ("%s, no budget"), spent);
}

static int
compare_campaigns (gconstpointer a, gconstpointer b)
{
  SkCampaign *ca = *(SkCampaign **)a;
  SkCampaign *cb = *(SkCampaign **)b;
  gint64      starts_a = sk_record_get_int64 (ca, "starts_at");
  gint64      starts_b = sk_record_get_int64 (cb, "starts_at");
  int         r = status_rank (sk_record_get_string (ca, "status"))
          - status_rank (sk_record_get_string (cb, "status"));

  return r != 0 ? r : (starts_b > starts_a) - (starts_b < starts_a);
}

static void
campaigns_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCampaignsView *self;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) shown = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  guint filter;

  all = sk_repository_list_campaigns_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CAMPAIGNS_VIEW (user_data);
  g_clear_object (&self->cancellable);
  if (all == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  filter = gtk_drop_down_get_selected (self->status_filter);
  for (guint i = 0; i < all->len; i++)
    {
      SkCampaign *c = g_ptr_array_index (all, i);

      if (filter == 0 || filter == GTK_INVALID_LIST_POSITION
          || g_strcmp0 (sk_record_get_string (c, "status"), statuses[filter - 1].code) == 0)
        g_ptr_array_add (shown, c);
    }
  g_ptr_array_sort (shown, compare_campaigns);
  /* The selection stays on its campaign wherever the list puts it, or
   * moves to the one just saved: its figures stay in view, and Edit acts
   * on it. */
  sk_column_view_replace_records (self->column_view, self->campaigns, self->selection, shown,
                                  self->select_id);
  g_clear_pointer (&self->select_id, g_free);
  gtk_stack_set_visible_child_name (self->stack, shown->len ? "list" : "empty");
  /* Campaigns there are, just none of the status chosen. */
  {
    AdwStatusPage *empty = ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->stack, "empty"));

    adw_status_page_set_title (empty,
                               all->len ? _ ("No Campaigns With This Status") : _ ("No Campaigns"));
    adw_status_page_set_description (
        empty, all->len ? _ ("Choose another status to see the others")
                        : _ ("A campaign groups rules for a period, segments and stores, with an "
                             "optional budget"));
  }
}

gboolean
sk_campaigns_view_get_loading (SkCampaignsView *self)
{
  g_return_val_if_fail (SK_IS_CAMPAIGNS_VIEW (self), FALSE);
  return self->cancellable != NULL;
}

void
sk_campaigns_view_reload (SkCampaignsView *self)
{
  gboolean can_edit = sk_app () && sk_role_can_edit_rules (sk_application_get_role (sk_app ()));

  self->loaded = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "campaigns.new", can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "campaigns.edit", can_edit);
  if (sk_app_repository () == NULL)
    return;
  sk_cancellable_renew (&self->cancellable);
  sk_repository_list_campaigns_async (sk_app_repository (), self->cancellable, campaigns_listed_cb,
                                      self);
}

static void
figures_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCampaignsView              *self;
  g_autofree SkCampaignFigures *figures = NULL;
  g_autoptr (GError) error = NULL;
  SkCampaign *c;
  struct
  {
    const char *title;
    gint64      value;
    gboolean    money;
  } rows[7];

  figures = sk_repository_campaign_figures_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CAMPAIGNS_VIEW (user_data);
  c = gtk_single_selection_get_selected_item (self->selection);
  if (figures == NULL || c == NULL)
    return;
  rows[0] = (typeof (rows[0])){ _ ("Purchases"), figures->purchases, FALSE };
  rows[1] = (typeof (rows[0])){ _ ("Revenue"), figures->revenue, TRUE };
  rows[2] = (typeof (rows[0])){ _ ("Discount given"), figures->discount, TRUE };
  rows[3] = (typeof (rows[0])){ _ ("Bonuses earned"), figures->bonus_earned, TRUE };
  rows[4] = (typeof (rows[0])){ _ ("Customers reached"), figures->customers, FALSE };
  rows[5] = (typeof (rows[0])){ _ ("Budget"), figures->budget, TRUE };
  rows[6] = (typeof (rows[0])){ _ ("Budget spent"), figures->spent, TRUE };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      GtkWidget       *row = adw_action_row_new ();
      g_autofree char *text = rows[i].money ? sk_money_format (rows[i].value)
                                            : g_strdup_printf ("%" G_GINT64_FORMAT, rows[i].value);
      GtkWidget       *label = gtk_label_new (text);

      if (i == 5 && figures->budget == 0)
        gtk_label_set_text (GTK_LABEL (label), _ ("none"));
      gtk_widget_add_css_class (label, "numeric");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), rows[i].title);
      /* HQ gives a store's account its store's sales; the budget is the
       * whole campaign's. */
      if (figures->store_only && i < 5)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _ ("At this store"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      adw_preferences_group_add (self->figures_group, row);
      g_ptr_array_add (self->figure_rows, row);
    }
}

static void
show_figures (SkCampaignsView *self)
{
  SkCampaign *c = gtk_single_selection_get_selected_item (self->selection);
  gboolean    can_edit = sk_app () && sk_role_can_edit_rules (sk_application_get_role (sk_app ()));
  g_autoptr (GError) why = NULL;

  /* What customers can take part in is announced: a scheduled or an
   * active campaign, not over, its budget not used up
   * (sk_database_announce_campaign); the buttons say why not. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "campaigns.announce",
                                 can_edit && c != NULL
                                     && sk_campaign_can_take_part (c, sk_time_now (), &why));
  gtk_widget_set_tooltip_text (self->announce_button, why != NULL ? why->message : NULL);
  gtk_widget_set_tooltip_text (self->announce_icon_button,
                               why != NULL ? why->message : _ ("Announce Campaign"));
  for (guint i = 0; i < self->figure_rows->len; i++)
    adw_preferences_group_remove (self->figures_group, g_ptr_array_index (self->figure_rows, i));
  g_ptr_array_set_size (self->figure_rows, 0);
  if (c == NULL)
    {
      adw_preferences_group_set_description (self->figures_group,
                                             _ ("Select a campaign to see its figures"));
      return;
    }
  {
    const char      *description = sk_record_get_string (c, "description");
    g_autofree char *escaped = g_markup_escape_text (description ? description : "", -1);

    /* The group's description is markup. */
    adw_preferences_group_set_description (self->figures_group, escaped);
  }
  /* A newer choice replaces a read still under way. */
  sk_cancellable_clear (&self->figures_cancellable);
  if (sk_app_repository () == NULL)
    return;
  self->figures_cancellable = g_cancellable_new ();
  sk_repository_campaign_figures_async (sk_app_repository (), sk_record_get_id (c),
                                        self->figures_cancellable, figures_read_cb, self);
}

/* The editor */

static void
campaign_saved_cb (SkCampaignEditor *editor, SkCampaign *campaign, SkCampaignsView *self)
{
  g_free (self->select_id);
  self->select_id = g_strdup (sk_record_get_id (campaign));
  sk_widget_toast (GTK_WIDGET (self), _ ("Campaign saved"));
}

static void
open_editor (SkCampaignsView *self, SkCampaign *campaign)
{
  SkCampaignEditor *editor;

  if (sk_app_repository () == NULL)
    return;
  /* The list follows campaigns-changed once it is saved. */
  editor = sk_campaign_editor_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   sk_app_repository (), campaign);
  g_signal_connect_object (editor, "saved", G_CALLBACK (campaign_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
new_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  open_editor (SK_CAMPAIGNS_VIEW (widget), NULL);
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCampaignsView *self = SK_CAMPAIGNS_VIEW (widget);
  SkCampaign      *c = gtk_single_selection_get_selected_item (self->selection);

  if (c != NULL)
    open_editor (self, c);
}

/* Return or a double click on a campaign edits it, where the role may. */
static void
activate_cb (GtkColumnView *view, guint position, SkCampaignsView *self)
{
  g_autoptr (SkCampaign) c = g_list_model_get_item (G_LIST_MODEL (self->campaigns), position);

  if (c != NULL && sk_role_can_edit_rules (sk_application_get_role (sk_app ())))
    open_editor (self, c);
}

/* A campaign's announcement: whom it reaches, asked, then sent (SPEC 4,
 * notifications: marketing sends it to the campaign's segments and
 * stores). */
static void
announced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkCampaignsView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree SkReach *queued
      = sk_repository_announce_finish (SK_REPOSITORY (source), result, &error);
  g_autofree char *text = NULL;

  if (queued == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The announcement is on its way to %" PRId64 " customer",
                                       "The announcement is on its way to %" PRId64 " customers",
                                       (gulong)queued->customers),
                          queued->customers);
  sk_widget_toast (GTK_WIDGET (self), text);
}

static void
announce_response_cb (AdwMessageDialog *dialog, const char *response, SkCampaignsView *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "campaign-id");

  if (g_str_equal (response, "send") && sk_app_repository () != NULL)
    sk_repository_announce_async (sk_app_repository (), id, TRUE, NULL, announced_cb,
                                  g_object_ref (self));
}

/* Whom an announcement reaches, said before it is sent. */
static char *
reach_text (const SkReach *reach)
{
  g_autofree char *goes = NULL;
  g_autofree char *had = NULL;

  if (reach->customers == 0 && reach->already > 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Its %" PRId64 " customer has had it already: there is "
                                         "nobody to send it to.",
                                         "All its %" PRId64 " customers have had it already: "
                                         "there is nobody to send it to.",
                                         (gulong)reach->already),
                            reach->already);
  if (reach->customers == 0)
    return g_strdup (_ ("No customer of its segments and stores has agreed to its messages: "
                        "there is nobody to send it to."));
  goes = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "It goes to %" PRId64 " customer: %" PRId64
                                       " by e-mail, %" PRId64 " by SMS, %" PRId64 " by push.",
                                       "It goes to %" PRId64 " customers: %" PRId64
                                       " by e-mail, %" PRId64 " by SMS, %" PRId64 " by push.",
                                       (gulong)reach->customers),
                          reach->customers, reach->email, reach->sms, reach->push);
  if (reach->already == 0)
    return g_steal_pointer (&goes);
  had = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "%" PRId64 " customer has had it and is not sent it again.",
                                      "%" PRId64 " customers have had it and are not sent it "
                                      "again.",
                                      (gulong)reach->already),
                         reach->already);
  return g_strdup_printf ("%s %s", goes, had);
}

static void
reach_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkCampaignsView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree SkReach *reach
      = sk_repository_announce_finish (SK_REPOSITORY (source), result, &error);
  SkCampaign      *c = gtk_single_selection_get_selected_item (self->selection);
  GtkWidget       *dialog;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;

  if (reach == NULL || c == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  heading = g_strdup_printf (_ ("Announce “%s”?"), sk_record_get_string (c, "name"));
  body = reach_text (reach);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), heading,
                                   body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"));
  if (reach->customers > 0)
    {
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "send", _ ("_Send"));
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "send",
                                                  ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "send");
    }
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "campaign-id", g_strdup (sk_record_get_id (c)),
                          g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (announce_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
announce_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCampaignsView *self = SK_CAMPAIGNS_VIEW (widget);
  SkCampaign      *c = gtk_single_selection_get_selected_item (self->selection);

  if (c != NULL && sk_app_repository () != NULL)
    sk_repository_announce_async (sk_app_repository (), sk_record_get_id (c), FALSE, NULL,
                                  reach_read_cb, g_object_ref (self));
}

/* The campaigns, and their spending that a sale moves. */
static void
campaigns_changed_cb (SkCampaignsView *self)
{
  if (self->loaded)
    {
      sk_campaigns_view_reload (self);
      show_figures (self);
    }
}

static void
sk_campaigns_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (sk_campaigns_view_parent_class)->map (widget);
  sk_campaigns_view_reload (SK_CAMPAIGNS_VIEW (widget));
}

static void
sk_campaigns_view_dispose (GObject *object)
{
  SkCampaignsView *self = SK_CAMPAIGNS_VIEW (object);

  sk_cancellable_clear (&self->cancellable);
  sk_cancellable_clear (&self->figures_cancellable);
  g_clear_object (&self->selection);
  g_clear_object (&self->campaigns);
  g_clear_pointer (&self->figure_rows, g_ptr_array_unref);
  g_clear_pointer (&self->select_id, g_free);
  G_OBJECT_CLASS (sk_campaigns_view_parent_class)->dispose (object);
}

static void
sk_campaigns_view_class_init (SkCampaignsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_campaigns_view_dispose;
  widget_class->map = sk_campaigns_view_map;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-campaigns-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCampaignsView, stack);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignsView, column_view);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignsView, status_filter);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignsView, figures_group);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignsView, announce_button);
  gtk_widget_class_bind_template_child (widget_class, SkCampaignsView, announce_icon_button);
  gtk_widget_class_install_action (widget_class, "campaigns.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "campaigns.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "campaigns.announce", NULL, announce_action);
}

static void
sk_campaigns_view_init (SkCampaignsView *self)
{
  static const SkTextColumn columns[] = {
    { N_ ("Name"), cell_name, FALSE, TRUE },
    { N_ ("Status"), cell_status, FALSE, FALSE },
    { N_ ("Period"), cell_period, FALSE, FALSE },
    { N_ ("Segments"), cell_segments, FALSE, FALSE },
    { N_ ("Budget spent"), cell_budget, TRUE, FALSE },
  };
  static const char *const changes[]
      = { "campaigns-changed", "purchase-changed", "database-changed", NULL };

  gtk_widget_init_template (GTK_WIDGET (self));
  sk_status_page_defer_icon (ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->stack, "empty")));
  self->figure_rows = g_ptr_array_new ();
  self->campaigns = g_list_store_new (SK_TYPE_CAMPAIGN);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->campaigns)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  sk_column_view_append_text_columns (self->column_view, columns, G_N_ELEMENTS (columns));
  {
    /* On a phone: the name and status. */
    static const SkColumnFit narrow[] = { { 3, 600 }, { 2, 500 }, { 4, 420 } };

    sk_column_view_fit_width (self->column_view, narrow, G_N_ELEMENTS (narrow));
  }
  g_signal_connect_swapped (self->selection, "notify::selected-item", G_CALLBACK (show_figures),
                            self);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect_swapped (self->status_filter, "notify::selected",
                            G_CALLBACK (sk_campaigns_view_reload), self);
  sk_widget_follow_repository (GTK_WIDGET (self), changes, G_CALLBACK (campaigns_changed_cb));
}
