/* sk-rules-view.c: the discount rules with type, value, status and uses;
 * new, edit, duplicate, enable/disable (for roles that may edit).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-money.h"
#include "sk-rule-editor.h"
#include "sk-rules-view.h"
#include "sk-widgets.h"

struct _SkRulesView
{
  AdwBin parent_instance;

  GtkStack      *stack;
  GtkColumnView *column_view;
  GtkWidget     *readonly_label;
  GtkButton     *toggle_button;

  GListStore         *rules;
  GtkSingleSelection *selection;
  GCancellable       *cancellable; /* the list being read */
  GHashTable         *related;     /* id -> SkStore or SkCampaign, read with the rules */
  char               *select_id;   /* the rule just saved, selected once listed */
  gboolean            loaded;
  guint               n_reloads;
};

G_DEFINE_FINAL_TYPE (SkRulesView, sk_rules_view, ADW_TYPE_BIN)

GListModel *
sk_rules_view_get_model (SkRulesView *self)
{
  return G_LIST_MODEL (self->rules);
}

static char *
cell_name (gpointer item)
{
  return g_strdup (sk_record_get_string (item, "name"));
}

static char *
cell_type (gpointer item)
{
  const char *type = sk_record_get_string (item, "type");

  if (g_strcmp0 (type, SK_RULE_PERCENTAGE) == 0)
    return g_strdup (_ ("Percentage"));
  if (g_strcmp0 (type, SK_RULE_FIXED_AMOUNT) == 0)
    return g_strdup (_ ("Fixed amount"));
  return g_strdup (_ ("Bonus multiplier"));
}

static char *
cell_value (gpointer item)
{
  const char *type = sk_record_get_string (item, "type");
  gint64      value = sk_record_get_int64 (item, "value");

  if (g_strcmp0 (type, SK_RULE_PERCENTAGE) == 0)
    return g_strdup_printf ("%g %%", value / 100.0);
  if (g_strcmp0 (type, SK_RULE_FIXED_AMOUNT) == 0)
    return sk_money_format (value);
  return g_strdup_printf ("×%g", value / 100.0);
}

static char *
cell_conditions (gpointer item)
{
  gint64             min_purchase = sk_record_get_int64 (item, "min_purchase");
  const char *const *categories = sk_record_get_strv (item, "categories");
  const char *const *segments = sk_record_get_strv (item, "segments");
  const char        *stores = g_object_get_data (G_OBJECT (item), "sk-store-names");
  GString           *s = g_string_new (NULL);

  if (min_purchase > 0)
    {
      g_autofree char *m = sk_money_format (min_purchase);

      g_string_append_printf (s, _ ("from %s"), m);
    }
  if (categories && categories[0])
    {
      g_autofree char *c = g_strjoinv (", ", (char **)categories);

      g_string_append_printf (s, "%s%s", s->len ? " · " : "", c);
    }
  for (guint i = 0; segments && segments[i]; i++)
    g_string_append_printf (s, "%s%s",
                            s->len == 0 ? ""
                            : i == 0    ? " · "
                                        : ", ",
                            sk_segment_display_name (segments[i]));
  if (stores != NULL)
    g_string_append_printf (s, "%s%s", s->len ? " · " : "", stores);
  if (!sk_record_get_boolean (item, "stackable"))
    g_string_append_printf (s, "%s%s", s->len ? " · " : "", _ ("exclusive"));
  return g_string_free (s, FALSE);
}

static char *
cell_status (gpointer item)
{
  gint64      valid_from = sk_record_get_int64 (item, "valid_from");
  gint64      valid_until = sk_record_get_int64 (item, "valid_until");
  gint64      limit = sk_record_get_int64 (item, "usage_limit_total");
  gint64      now = sk_time_now ();
  SkCampaign *campaign = g_object_get_data (G_OBJECT (item), "sk-campaign");

  if (!sk_record_get_boolean (item, "is_active"))
    return g_strdup (_ ("Disabled"));
  if (valid_until != 0 && valid_until < now)
    return g_strdup (C_ ("rule status", "Expired"));
  if (valid_from != 0 && valid_from > now)
    return g_strdup (C_ ("rule status", "Scheduled"));
  /* The rule of a campaign gives nothing while the campaign does not. */
  if (campaign != NULL && !sk_campaign_is_live (campaign, now))
    return g_strdup (_ ("Campaign not running"));
  if (campaign != NULL && sk_campaign_budget_left (campaign) == 0)
    return g_strdup (_ ("Campaign budget spent"));
  if (limit > 0 && sk_record_get_int64 (item, "uses") >= limit)
    return g_strdup (_ ("Limit reached"));
  return g_strdup (C_ ("rule status", "Active"));
}

static char *
cell_uses (gpointer item)
{
  gint64 uses = sk_record_get_int64 (item, "uses");
  gint64 limit = sk_record_get_int64 (item, "usage_limit_total");

  if (limit > 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT, uses, limit);
  return g_strdup_printf ("%" G_GINT64_FORMAT, uses);
}

static char *
cell_priority (gpointer item)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, sk_record_get_int64 (item, "priority"));
}

static SkDiscountRule *
selected_rule (SkRulesView *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

/* The button says what it will do to the rule selected. */
static void
selected_changed_cb (SkRulesView *self)
{
  SkDiscountRule *rule = selected_rule (self);

  gtk_button_set_label (self->toggle_button, rule == NULL ? _ ("Enable or _Disable")
                                             : sk_record_get_boolean (rule, "is_active")
                                                 ? _ ("_Disable")
                                                 : _ ("_Enable"));
}

static void
rules_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkRulesView *self;
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GError) error = NULL;

  rules = sk_repository_list_rules_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_RULES_VIEW (user_data);
  g_clear_object (&self->cancellable);
  if (rules == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  for (guint i = 0; i < rules->len; i++)
    {
      SkDiscountRule    *rule = g_ptr_array_index (rules, i);
      const char *const *ids = sk_record_get_strv (rule, "store_ids");
      const char        *campaign_id = sk_record_get_string (rule, "campaign_id");
      gpointer campaign = campaign_id ? g_hash_table_lookup (self->related, campaign_id) : NULL;
      GString *names = g_string_new (NULL);

      for (guint j = 0; ids && ids[j]; j++)
        {
          SkRecord *store = g_hash_table_lookup (self->related, ids[j]);

          g_string_append_printf (names, "%s%s", j ? ", " : "",
                                  SK_IS_STORE (store) ? sk_record_get_string (store, "name")
                                                      : ids[j]);
        }
      g_object_set_data_full (G_OBJECT (rule), "sk-store-names",
                              g_string_free (names, names->len == 0), g_free);
      if (SK_IS_CAMPAIGN (campaign))
        g_object_set_data_full (G_OBJECT (rule), "sk-campaign", g_object_ref (campaign),
                                g_object_unref);
    }
  /* The selection stays on its rule wherever the list puts it, or moves to
   * the rule just saved (a new one, a copy): Edit, Duplicate and Enable act
   * on what the user expects. */
  sk_column_view_replace_records (self->column_view, self->rules, self->selection, rules,
                                  self->select_id);
  g_clear_pointer (&self->select_id, g_free);
  gtk_stack_set_visible_child_name (self->stack, rules->len ? "list" : "empty");
}

/* A rule's stores are named in its conditions, and its campaign tells its
 * status: the chain's few stores and campaigns are read first, then the
 * rules. Without them the rules are still listed, their stores by id. */
static SkRulesView *
index_related (GPtrArray *records, GError *error, gpointer user_data)
{
  SkRulesView *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  self = SK_RULES_VIEW (user_data);
  for (guint i = 0; records != NULL && i < records->len; i++)
    g_hash_table_insert (self->related,
                         g_strdup (sk_record_get_id (g_ptr_array_index (records, i))),
                         g_object_ref (g_ptr_array_index (records, i)));
  if (records == NULL)
    sk_widget_toast_error (GTK_WIDGET (self), error);
  return self;
}

static void
campaigns_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) campaigns
      = sk_repository_list_campaigns_finish (SK_REPOSITORY (source), result, &error);
  SkRulesView *self = index_related (campaigns, error, user_data);

  if (self != NULL)
    sk_repository_list_rules_async (SK_REPOSITORY (source), self->cancellable, rules_listed_cb,
                                    self);
}

static void
stores_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) stores
      = sk_repository_list_stores_finish (SK_REPOSITORY (source), result, &error);
  SkRulesView *self = index_related (stores, error, user_data);

  if (self != NULL)
    sk_repository_list_campaigns_async (SK_REPOSITORY (source), self->cancellable,
                                        campaigns_listed_cb, self);
}

void
sk_rules_view_reload (gpointer view)
{
  SkRulesView *self = SK_RULES_VIEW (view);
  gboolean     can_edit = sk_app () && sk_role_can_edit_rules (sk_application_get_role (sk_app ()));

  self->loaded = TRUE;
  gtk_widget_set_visible (self->readonly_label, !can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rules.new", can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rules.edit", can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rules.duplicate", can_edit);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rules.toggle", can_edit);
  if (sk_app_repository () == NULL)
    return;
  /* A newer read replaces one still under way. */
  sk_cancellable_renew (&self->cancellable);
  self->n_reloads++;
  g_hash_table_remove_all (self->related);
  sk_repository_list_stores_async (sk_app_repository (), self->cancellable, stores_listed_cb, self);
}

gboolean
sk_rules_view_get_loading (SkRulesView *self)
{
  g_return_val_if_fail (SK_IS_RULES_VIEW (self), FALSE);
  return self->cancellable != NULL;
}

guint
sk_rules_view_get_n_reloads (SkRulesView *self)
{
  g_return_val_if_fail (SK_IS_RULES_VIEW (self), 0);
  return self->n_reloads;
}

static void
rule_saved_cb (SkRuleEditor *editor, SkDiscountRule *rule, SkRulesView *self)
{
  g_free (self->select_id);
  self->select_id = g_strdup (sk_record_get_id (rule));
  sk_widget_toast (GTK_WIDGET (self), _ ("Rule saved"));
}

static void
open_editor (SkRulesView *self, SkDiscountRule *rule)
{
  SkRuleEditor *editor
      = sk_rule_editor_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), rule);

  g_signal_connect_object (editor, "saved", G_CALLBACK (rule_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
new_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  open_editor (SK_RULES_VIEW (widget), NULL);
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkDiscountRule *rule = selected_rule (SK_RULES_VIEW (widget));

  if (rule != NULL)
    open_editor (SK_RULES_VIEW (widget), rule);
}

static void
rule_stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (SkDiscountRule) rule = NULL;
  g_autoptr (GError) error = NULL;

  /* The list follows rules-changed. */
  rule = sk_repository_save_rule_finish (SK_REPOSITORY (source), result, &error);
  if (rule == NULL)
    sk_widget_toast_error (widget, error);
  else
    {
      SkRulesView *self = SK_RULES_VIEW (widget);

      g_free (self->select_id);
      self->select_id = g_strdup (sk_record_get_id (rule));
      if (g_object_get_data (G_OBJECT (widget), "sk-duplicated") != NULL)
        sk_widget_toast (widget, _ ("Rule duplicated (disabled until you enable it)"));
    }
}

static void
duplicate_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkDiscountRule *rule = selected_rule (SK_RULES_VIEW (widget));
  g_autoptr (SkDiscountRule) copy = NULL;
  g_autofree char *name = NULL;

  if (rule == NULL || sk_app_repository () == NULL)
    return;
  copy = sk_record_copy (SK_RECORD (rule));
  /* Translators: the name of a duplicated rule */
  name = g_strdup_printf (_ ("%s (copy)"), sk_record_get_string (rule, "name"));
  g_object_set (copy, "id", NULL, "name", name, "is-active", FALSE, "version", (gint64)0, "uses",
                (gint64)0, NULL);
  g_object_set_data (G_OBJECT (widget), "sk-duplicated", GINT_TO_POINTER (TRUE));
  sk_repository_save_rule_async (sk_app_repository (), copy, NULL, rule_stored_cb,
                                 g_object_ref (widget));
}

static void
toggle_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkDiscountRule *rule = selected_rule (SK_RULES_VIEW (widget));
  g_autoptr (SkDiscountRule) copy = NULL;

  if (rule == NULL || sk_app_repository () == NULL)
    return;
  copy = sk_record_copy (SK_RECORD (rule));
  g_object_set (copy, "is-active", !sk_record_get_boolean (rule, "is_active"), NULL);
  g_object_set_data (G_OBJECT (widget), "sk-duplicated", NULL);
  sk_repository_save_rule_async (sk_app_repository (), copy, NULL, rule_stored_cb,
                                 g_object_ref (widget));
}

static void
activate_cb (GtkColumnView *view, guint position, SkRulesView *self)
{
  g_autoptr (SkDiscountRule) rule = g_list_model_get_item (G_LIST_MODEL (self->rules), position);

  if (rule != NULL && sk_role_can_edit_rules (sk_application_get_role (sk_app ())))
    open_editor (self, rule);
}

/* The rules, and their uses that a sale moves. */
static void
rules_changed_cb (SkRulesView *self)
{
  if (self->loaded)
    sk_rules_view_reload (self);
}

static void
sk_rules_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (sk_rules_view_parent_class)->map (widget);
  sk_rules_view_reload (widget);
}

static void
sk_rules_view_dispose (GObject *object)
{
  SkRulesView *self = SK_RULES_VIEW (object);

  sk_cancellable_clear (&self->cancellable);
  g_clear_object (&self->selection);
  g_clear_object (&self->rules);
  g_clear_pointer (&self->related, g_hash_table_unref);
  g_clear_pointer (&self->select_id, g_free);
  G_OBJECT_CLASS (sk_rules_view_parent_class)->dispose (object);
}

static void
sk_rules_view_class_init (SkRulesViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_rules_view_dispose;
  widget_class->map = sk_rules_view_map;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/skidka/Skidka/sk-rules-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SkRulesView, stack);
  gtk_widget_class_bind_template_child (widget_class, SkRulesView, column_view);
  gtk_widget_class_bind_template_child (widget_class, SkRulesView, readonly_label);
  gtk_widget_class_bind_template_child (widget_class, SkRulesView, toggle_button);
  gtk_widget_class_install_action (widget_class, "rules.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "rules.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "rules.duplicate", NULL, duplicate_action);
  gtk_widget_class_install_action (widget_class, "rules.toggle", NULL, toggle_action);
}

static void
sk_rules_view_init (SkRulesView *self)
{
  static const SkTextColumn columns[] = {
    { N_ ("Name"), cell_name, FALSE, TRUE },
    { N_ ("Type"), cell_type, FALSE, FALSE },
    { N_ ("Value"), cell_value, TRUE, FALSE },
    { N_ ("Conditions"), cell_conditions, FALSE, TRUE },
    { N_ ("Priority"), cell_priority, TRUE, FALSE },
    { N_ ("Status"), cell_status, FALSE, FALSE },
    { N_ ("Uses"), cell_uses, TRUE, FALSE },
  };
  static const char *const changes[] = { "rules-changed",  "purchase-changed", "campaigns-changed",
                                         "stores-changed", "database-changed", NULL };

  gtk_widget_init_template (GTK_WIDGET (self));
  sk_status_page_defer_icon (ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->stack, "empty")));
  self->rules = g_list_store_new (SK_TYPE_DISCOUNT_RULE);
  self->related = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->rules)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (selected_changed_cb), self);
  sk_column_view_append_text_columns (self->column_view, columns, G_N_ELEMENTS (columns));
  {
    /* On a phone: the name, value and status. */
    static const SkColumnFit narrow[] = { { 1, 760 }, { 4, 680 }, { 6, 600 }, { 3, 480 } };

    sk_column_view_fit_width (self->column_view, narrow, G_N_ELEMENTS (narrow));
  }
  g_signal_connect (self->column_view, "activate", G_CALLBACK (activate_cb), self);
  sk_widget_follow_repository (GTK_WIDGET (self), changes, G_CALLBACK (rules_changed_cb));
}
