/* sk-conflict-dialog.c: two versions of a record edited from one, merged
 * where they do not meet and as the user says where they do, through the
 * record's field table and properties.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-conflict-dialog.h"
#include "sk-error.h"
#include "sk-model.h"
#include "sk-money.h"
#include "sk-widgets.h"

/* Kept by the store, never chosen by the user. */
static gboolean
is_bookkeeping (const SkField *field)
{
  static const char *names[] = { "id", "version", "created_at", "updated_at" };

  if (field->flags & (SK_FIELD_READONLY | SK_FIELD_COMPUTED))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (field->name, names[i]))
      return TRUE;
  return FALSE;
}

static GParamSpec *
field_pspec (SkRecord *record, const char *name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (record), name);
}

/* Texts and lists by their contents (none and empty alike: an empty field
 * of a form reads as ""), the rest as GLib compares them. */
static gboolean
values_same (const SkField *field, GParamSpec *pspec, const GValue *a, const GValue *b)
{
  if (field->type == SK_FIELD_STRING)
    return g_strcmp0 (g_value_get_string (a) ? g_value_get_string (a) : "",
                      g_value_get_string (b) ? g_value_get_string (b) : "")
           == 0;
  if (field->type == SK_FIELD_STRV)
    {
      const char *const *x = g_value_get_boxed (a);
      const char *const *y = g_value_get_boxed (b);
      const char *const  none[] = { NULL };

      return g_strv_equal (x ? x : none, y ? y : none);
    }
  return g_param_values_cmp (pspec, a, b) == 0;
}

/* Whether @a and @b hold the same value of @field (FALSE for a field the
 * user does not edit). */
static gboolean
field_same (SkRecord *a, SkRecord *b, const SkField *field)
{
  GParamSpec *pspec = field_pspec (a, field->name);
  GValue      x = G_VALUE_INIT, y = G_VALUE_INIT;
  gboolean    same;

  g_value_init (&x, pspec->value_type);
  g_value_init (&y, pspec->value_type);
  g_object_get_property (G_OBJECT (a), pspec->name, &x);
  g_object_get_property (G_OBJECT (b), pspec->name, &y);
  same = values_same (field, pspec, &x, &y);
  g_value_unset (&x);
  g_value_unset (&y);
  return same;
}

static gboolean
is_edited (SkRecord *record, const SkField *field)
{
  GParamSpec *pspec = field_pspec (record, field->name);

  return !is_bookkeeping (field) && pspec != NULL && (pspec->flags & G_PARAM_WRITABLE);
}

static void
copy_field (SkRecord *from, SkRecord *to, const char *name)
{
  GParamSpec *pspec = field_pspec (from, name);
  GValue      value = G_VALUE_INIT;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (from), pspec->name, &value);
  g_object_set_property (G_OBJECT (to), pspec->name, &value);
  g_value_unset (&value);
}

GPtrArray *
sk_conflict_fields (SkRecord *base, SkRecord *mine, SkRecord *theirs)
{
  SkRecordClass *klass;
  GPtrArray     *fields = g_ptr_array_new ();

  g_return_val_if_fail (SK_IS_RECORD (base) && SK_IS_RECORD (mine) && SK_IS_RECORD (theirs),
                        fields);
  g_return_val_if_fail (G_OBJECT_TYPE (mine) == G_OBJECT_TYPE (theirs), fields);
  g_return_val_if_fail (G_OBJECT_TYPE (base) == G_OBJECT_TYPE (mine), fields);

  klass = SK_RECORD_GET_CLASS (mine);
  for (guint i = 0; i < klass->n_fields; i++)
    {
      const SkField *field = &klass->fields[i];

      if (is_edited (mine, field) && !field_same (mine, base, field)
          && !field_same (theirs, base, field) && !field_same (mine, theirs, field))
        g_ptr_array_add (fields, (gpointer)field->name);
    }
  return fields;
}

gpointer
sk_conflict_merge (SkRecord *base, SkRecord *mine, SkRecord *theirs, const char *const *take_mine)
{
  SkRecordClass *klass;
  SkRecord      *merged;

  g_return_val_if_fail (SK_IS_RECORD (base) && SK_IS_RECORD (mine) && SK_IS_RECORD (theirs), NULL);

  merged = sk_record_copy (theirs);
  klass = SK_RECORD_GET_CLASS (mine);
  for (guint i = 0; i < klass->n_fields; i++)
    {
      const SkField *field = &klass->fields[i];

      /* Mine where only I changed it, or where both did and I keep mine. */
      if (is_edited (mine, field) && !field_same (mine, base, field)
          && (field_same (theirs, base, field)
              || (take_mine != NULL && g_strv_contains (take_mine, field->name))))
        copy_field (mine, merged, field->name);
    }
  return merged;
}

static const SkField *
find_field (SkRecord *record, const char *name)
{
  SkRecordClass *klass = SK_RECORD_GET_CLASS (record);

  for (guint i = 0; i < klass->n_fields; i++)
    if (g_str_equal (klass->fields[i].name, name))
      return &klass->fields[i];
  return NULL;
}

/* An amount as the editors show it: money in rubles, a rule's value by
 * its type (15 %, 150 ₽, × 2). */
static char *
amount_text (SkRecord *record, const char *name, gint64 value)
{
  static const char *money[] = { "budget", "spent", "min_purchase", "max_discount" };
  const char        *type;

  for (guint i = 0; i < G_N_ELEMENTS (money); i++)
    if (g_str_equal (name, money[i]))
      return sk_money_format (value);
  if (!SK_IS_DISCOUNT_RULE (record) || !g_str_equal (name, "value"))
    return g_strdup_printf ("%" G_GINT64_FORMAT, value);
  type = sk_record_get_string (record, "type");
  if (g_strcmp0 (type, SK_RULE_FIXED_AMOUNT) == 0)
    return sk_money_format (value);
  /* Hundredths of a percent, of a multiplier. */
  return g_strdup_printf (g_strcmp0 (type, SK_RULE_PERCENTAGE) == 0 ? "%g %%" : "× %g",
                          (double)value / 100.0);
}

/* A field's value as the user reads it. */
static char *
value_text (SkRecord *record, const char *name)
{
  GParamSpec      *pspec = field_pspec (record, name);
  const SkField   *field = find_field (record, name);
  GValue           value = G_VALUE_INIT;
  g_autofree char *text = NULL;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (record), pspec->name, &value);
  if (G_VALUE_HOLDS_STRING (&value))
    text = g_strdup (g_value_get_string (&value));
  else if (G_VALUE_HOLDS_BOOLEAN (&value))
    text = g_strdup (g_value_get_boolean (&value) ? _ ("Yes") : _ ("No"));
  else if (G_VALUE_HOLDS (&value, G_TYPE_STRV))
    text = g_value_get_boxed (&value) ? g_strjoinv (", ", g_value_get_boxed (&value)) : NULL;
  else if (G_VALUE_HOLDS_INT64 (&value) && field != NULL && field->type == SK_FIELD_TIME)
    text = sk_date_display_from_usec (g_value_get_int64 (&value));
  else if (G_VALUE_HOLDS_INT64 (&value))
    text = amount_text (record, name, g_value_get_int64 (&value));
  else
    text = g_strdup_value_contents (&value);
  g_value_unset (&value);
  return text != NULL && *text != '\0' ? g_steal_pointer (&text) : g_strdup ("—");
}

/* "full_name": "Full name", in the user's language for the fields the
 * editors show. */
static char *
field_title (const char *name)
{
  static const struct
  {
    const char *name;
    const char *title;
  } known[] = {
    { "full_name", N_ ("Full name") },
    { "phone", N_ ("Phone") },
    { "email", N_ ("Email") },
    { "card_number", N_ ("Card number") },
    { "birth_date", N_ ("Birth date") },
    { "name", N_ ("Name") },
    { "description", N_ ("Description") },
    { "value", N_ ("Value") },
    { "active", N_ ("Active") },
    { "priority", N_ ("Priority") },
    { "type", N_ ("Type") },
    { "is_active", N_ ("Active") },
    { "stackable", N_ ("Stackable") },
    { "min_purchase", N_ ("Minimum purchase") },
    { "max_discount", N_ ("Maximum discount") },
    { "categories", N_ ("Categories") },
    { "segments", N_ ("Segments") },
    { "store_ids", N_ ("Stores") },
    { "valid_from", N_ ("Valid from") },
    { "valid_until", N_ ("Valid until") },
    { "usage_limit_total", N_ ("Usage limit, total") },
    { "usage_limit_per_customer", N_ ("Usage limit per customer") },
    { "campaign_id", N_ ("Campaign") },
    { "starts_at", N_ ("Starts") },
    { "ends_at", N_ ("Ends") },
    { "channels", N_ ("Channels") },
    { "budget", N_ ("Budget") },
    { "status", N_ ("Status") },
  };
  char *title;

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_str_equal (name, known[i].name))
      return g_strdup (_ (known[i].title));
  title = g_strdelimit (g_strdup (name), "_", ' ');

  title[0] = g_ascii_toupper (title[0]);
  return title;
}

typedef struct
{
  SkRecord  *base;
  SkRecord  *mine;
  SkRecord  *theirs;
  GPtrArray *fields;  /* names */
  GPtrArray *toggles; /* the "mine" toggle of each field */
} Conflict;

static void
conflict_free (Conflict *conflict)
{
  g_object_unref (conflict->base);
  g_object_unref (conflict->mine);
  g_object_unref (conflict->theirs);
  g_ptr_array_unref (conflict->fields);
  g_ptr_array_unref (conflict->toggles);
  g_free (conflict);
}

static void
response_cb (AdwMessageDialog *dialog, const char *response, GTask *task)
{
  Conflict *conflict = g_task_get_task_data (task);
  g_autoptr (GPtrArray) take_mine = g_ptr_array_new ();
  SkConflictChoice choice = SK_CONFLICT_CANCEL;
  gpointer         record = NULL;

  if (g_str_equal (response, "mine"))
    {
      choice = SK_CONFLICT_KEEP_MINE;
      g_ptr_array_extend (take_mine, conflict->fields, NULL, NULL);
    }
  else if (g_str_equal (response, "theirs"))
    choice = SK_CONFLICT_TAKE_THEIRS;
  else if (g_str_equal (response, "merge"))
    {
      choice = SK_CONFLICT_MERGE;
      for (guint i = 0; i < conflict->fields->len; i++)
        if (gtk_toggle_button_get_active (g_ptr_array_index (conflict->toggles, i)))
          g_ptr_array_add (take_mine, g_ptr_array_index (conflict->fields, i));
    }
  /* A copy: the editor writes its form into what it is given, and keeps
   * the stored version apart as the base of the next edits. */
  if (choice == SK_CONFLICT_TAKE_THEIRS)
    record = sk_record_copy (conflict->theirs);
  else if (choice != SK_CONFLICT_CANCEL)
    {
      g_ptr_array_add (take_mine, NULL);
      record = sk_conflict_merge (conflict->base, conflict->mine, conflict->theirs,
                                  (const char *const *)take_mine->pdata);
    }
  g_object_set_data (G_OBJECT (task), "choice", GINT_TO_POINTER (choice));
  g_task_return_pointer (task, record, g_object_unref);
  g_object_unref (task);
}

static GtkWidget *
field_row (Conflict *conflict, const char *name)
{
  g_autofree char *title = field_title (name);
  g_autofree char *mine = value_text (conflict->mine, name);
  g_autofree char *theirs = value_text (conflict->theirs, name);
  g_autofree char *subtitle = g_strdup_printf (_ ("Yours: %s\nTheirs: %s"), mine, theirs);
  GtkWidget       *row = adw_action_row_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget       *yours = gtk_toggle_button_new_with_label (_ ("Yours"));
  GtkWidget       *other = gtk_toggle_button_new_with_label (_ ("Theirs"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (other), GTK_TOGGLE_BUTTON (yours));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (yours), TRUE);
  gtk_widget_add_css_class (box, "linked");
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), yours);
  gtk_box_append (GTK_BOX (box), other);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), box);
  g_ptr_array_add (conflict->toggles, yours);
  return row;
}

void
sk_conflict_dialog_run_async (GtkWindow          *parent,
                              SkRecord           *base,
                              SkRecord           *mine,
                              SkRecord           *theirs,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask            *task = g_task_new (NULL, NULL, callback, user_data);
  Conflict         *conflict = g_new0 (Conflict, 1);
  GtkWidget        *list;
  AdwMessageDialog *dialog;

  conflict->base = g_object_ref (base);
  conflict->mine = g_object_ref (mine);
  conflict->theirs = g_object_ref (theirs);
  conflict->fields = sk_conflict_fields (base, mine, theirs);
  conflict->toggles = g_ptr_array_new ();
  g_task_set_source_tag (task, sk_conflict_dialog_run_async);
  g_task_set_task_data (task, conflict, (GDestroyNotify)conflict_free);
  /* Changes that do not meet: both kept, nothing to ask. */
  if (conflict->fields->len == 0)
    {
      g_object_set_data (G_OBJECT (task), "choice", GINT_TO_POINTER (SK_CONFLICT_MERGE));
      g_task_return_pointer (task, sk_conflict_merge (base, mine, theirs, NULL), g_object_unref);
      g_object_unref (task);
      return;
    }

  list = gtk_list_box_new ();
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      parent, _ ("Someone Else Saved This Meanwhile"),
      _ ("You both changed the fields below. Keep yours, take theirs, or choose field by field "
         "and merge. What only one of you changed is kept either way.")));
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < conflict->fields->len; i++)
    gtk_list_box_append (GTK_LIST_BOX (list),
                         field_row (conflict, g_ptr_array_index (conflict->fields, i)));
  adw_message_dialog_set_extra_child (dialog, list);
  /* Both values of a field side by side need more than a question's width. */
  gtk_window_set_default_size (GTK_WINDOW (dialog), 600, -1);
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "theirs", _ ("_Take Theirs"),
                                    "mine", _ ("_Keep Mine"), "merge", _ ("_Merge"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "merge", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "merge");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), task);
  gtk_window_present (GTK_WINDOW (dialog));
}

gpointer
sk_conflict_dialog_run_finish (GAsyncResult *result, SkConflictChoice *choice)
{
  *choice = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (result), "choice"));
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

typedef struct
{
  GtkWindow *parent;
  SkRecord  *base;
  SkRecord  *mine;
} Resolve;

static void
resolve_free (Resolve *resolve)
{
  g_clear_object (&resolve->parent);
  g_object_unref (resolve->base);
  g_object_unref (resolve->mine);
  g_free (resolve);
}

static void
resolve_decided_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SkConflictChoice choice;
  gpointer         decided = sk_conflict_dialog_run_finish (result, &choice);

  if (decided == NULL)
    {
      g_task_return_new_error (task, SK_ERROR, SK_ERROR_STALE, "%s",
                               _ ("Someone else saved this meanwhile; nothing was saved"));
      return;
    }
  g_object_set_data (G_OBJECT (task), "choice", GINT_TO_POINTER (choice));
  g_task_return_pointer (task, decided, g_object_unref);
}

static void
resolve_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Resolve *resolve = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkRecord) theirs
      = sk_repository_get_stored_finish (SK_REPOSITORY (source), result, &error);

  if (theirs == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* What the decided version was merged with: the next conflict's base. */
  g_object_set_data_full (G_OBJECT (task), "stored", g_object_ref (theirs), g_object_unref);
  sk_conflict_dialog_run_async (resolve->parent, resolve->base, resolve->mine, theirs,
                                resolve_decided_cb, g_steal_pointer (&task));
}

void
sk_conflict_resolve_async (GtkWindow          *parent,
                           SkRepository       *repository,
                           SkRecord           *base,
                           SkRecord           *mine,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask   *task = g_task_new (NULL, cancellable, callback, user_data);
  Resolve *resolve = g_new0 (Resolve, 1);

  g_task_set_source_tag (task, sk_conflict_resolve_async);
  resolve->parent = parent ? g_object_ref (parent) : NULL;
  resolve->base = g_object_ref (base);
  resolve->mine = g_object_ref (mine);
  g_task_set_task_data (task, resolve, (GDestroyNotify)resolve_free);
  sk_repository_get_stored_async (repository, mine, cancellable, resolve_loaded_cb, task);
}

gboolean
sk_conflict_resolve_finish (GAsyncResult *result,
                            gpointer     *decided,
                            gpointer     *stored,
                            GError      **error)
{
  SkConflictChoice choice;
  SkRecord        *theirs;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  choice = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (result), "choice"));
  theirs = g_object_get_data (G_OBJECT (result), "stored");
  *stored = theirs != NULL ? g_object_ref (theirs) : NULL;
  *decided = g_task_propagate_pointer (G_TASK (result), error);
  if (*decided == NULL)
    return FALSE;
  if (choice == SK_CONFLICT_TAKE_THEIRS)
    {
      g_set_error_literal (error, SK_ERROR, SK_ERROR_STALE,
                           _ ("The other version is shown; nothing was saved"));
      return FALSE;
    }
  return TRUE;
}
