/* sk-customer-editor.c: register or edit a customer; the store validates
 * (phone format, unique card and phone) and the message is shown in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-conflict-dialog.h"
#include "sk-customer-editor.h"
#include "sk-error.h"
#include "sk-widgets.h"

struct _SkCustomerEditor
{
  AdwWindow parent_instance;

  SkRepository *repository;
  SkCustomer   *customer; /* a copy being edited */
  gboolean      is_new;
  gboolean      saving;
  GCancellable *cancellable;

  AdwEntryRow *name_row;
  AdwEntryRow *phone_row;
  AdwEntryRow *card_row;
  AdwEntryRow *email_row;
  AdwEntryRow *birth_row;
  AdwEntryRow *children_row;
  GtkSwitch   *email_switch;
  GtkSwitch   *sms_switch;
  GtkSwitch   *push_switch;
  GtkLabel    *error_label;
};

G_DEFINE_FINAL_TYPE (SkCustomerEditor, sk_customer_editor, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

void
sk_customer_editor_set_text (SkCustomerEditor *self, const char *field, const char *text)
{
  AdwEntryRow *row = NULL;

  g_return_if_fail (SK_IS_CUSTOMER_EDITOR (self));
  if (g_str_equal (field, "name"))
    row = self->name_row;
  else if (g_str_equal (field, "phone"))
    row = self->phone_row;
  else if (g_str_equal (field, "card"))
    row = self->card_row;
  else if (g_str_equal (field, "email"))
    row = self->email_row;
  else if (g_str_equal (field, "birth_date"))
    row = self->birth_row;
  else if (g_str_equal (field, "children"))
    row = self->children_row;
  g_return_if_fail (row != NULL);
  sk_entry_row_set_text (row, text);
}

void
sk_customer_editor_set_home_store (SkCustomerEditor *self, const char *store_id)
{
  g_return_if_fail (SK_IS_CUSTOMER_EDITOR (self));
  if (self->is_new)
    g_object_set (self->customer, "home-store-id", store_id, NULL);
}

const char *
sk_customer_editor_get_error (SkCustomerEditor *self)
{
  g_return_val_if_fail (SK_IS_CUSTOMER_EDITOR (self), NULL);
  return sk_error_label_get (self->error_label);
}

static const char *
text_or_null (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return *text == '\0' ? NULL : text;
}

static void
mark_error (SkCustomerEditor *self, AdwEntryRow *row)
{
  AdwEntryRow *rows[] = { self->name_row,  self->phone_row, self->card_row,
                          self->email_row, self->birth_row, self->children_row };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (rows[i]), "error");
  if (row != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }
}

static void
show_error (SkCustomerEditor *self, const GError *error, AdwEntryRow *bad)
{
  sk_error_label_set (self->error_label, error->message);
  mark_error (self, bad);
}

/* Every problem of the form at once: each bad row marked, the messages one
 * a line, the first bad row focused. */
typedef struct
{
  GString     *messages;
  AdwEntryRow *first;
} Problems;

static void
problem (SkCustomerEditor *self, Problems *p, AdwEntryRow *row, const char *message)
{
  if (p->messages->len > 0)
    g_string_append_c (p->messages, '\n');
  g_string_append (p->messages, message);
  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  if (p->first == NULL)
    p->first = row;
}

/* A date (2015-06-30) that is not after today. */
static gboolean
date_not_future (const char *date)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");

  return strcmp (date, today) <= 0;
}

static void
holder_found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkCustomer) holder = NULL;
  g_autoptr (GError) error = NULL;
  SkCustomerEditor *self;
  g_autofree char  *message = NULL;
  const char       *name, *phone;

  holder = sk_repository_lookup_customer_finish (SK_REPOSITORY (source), result, &error);
  if (holder == NULL)
    return; /* cancelled, or gone meanwhile: the store's message stays */
  self = SK_CUSTOMER_EDITOR (user_data);
  name = sk_record_get_string (holder, "full_name");
  phone = sk_record_get_string (holder, "phone");
  if (gtk_widget_has_css_class (GTK_WIDGET (self->card_row), "error"))
    message = g_strdup_printf (_ ("This card belongs to %s (%s) already"), name ? name : "—",
                               phone ? phone : "—");
  else
    message = g_strdup_printf (_ ("This phone belongs to %s (card %s) already"), name ? name : "—",
                               sk_record_get_string (holder, "card_number")
                                   ? sk_record_get_string (holder, "card_number")
                                   : "—");
  gtk_label_set_text (self->error_label, message);
}

/* The rows show self->customer. */
static void
fill_fields (SkCustomerEditor *self)
{
  g_autoptr (GString) kids = g_string_new (NULL);
  SkCustomer *c = self->customer;
  GListModel *children = sk_customer_get_children (c);

  sk_entry_row_set_text (self->name_row, sk_record_get_string (c, "full_name"));
  sk_entry_row_set_text (self->phone_row, sk_record_get_string (c, "phone"));
  sk_entry_row_set_text (self->card_row, sk_record_get_string (c, "card_number"));
  sk_entry_row_set_text (self->email_row, sk_record_get_string (c, "email"));
  sk_entry_row_set_text (self->birth_row, sk_record_get_string (c, "birth_date"));
  gtk_switch_set_active (self->email_switch, sk_record_get_boolean (c, "consent_email"));
  gtk_switch_set_active (self->sms_switch, sk_record_get_boolean (c, "consent_sms"));
  gtk_switch_set_active (self->push_switch, sk_record_get_boolean (c, "consent_push"));
  for (guint i = 0; i < g_list_model_get_n_items (children); i++)
    {
      g_autoptr (SkChild) child = g_list_model_get_item (children, i);

      g_string_append_printf (kids, "%s%s %s", i ? "; " : "", sk_record_get_string (child, "name"),
                              sk_record_get_string (child, "birth_date"));
    }
  gtk_editable_set_text (GTK_EDITABLE (self->children_row), kids->str);
}

static void
conflict_show_error (GtkWindow *editor, const GError *error)
{
  show_error (SK_CUSTOMER_EDITOR (editor), error, NULL);
}

static void
conflict_show_record (GtkWindow *editor, SkRecord *record)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (editor);

  g_set_object (&self->customer, SK_CUSTOMER (record));
  fill_fields (self);
}

/* The save is over (not cancelled). */
static void
save_done (GtkWindow *editor, SkRecord *record, const GError *error, gboolean theirs_shown)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (editor);
  SkCustomer       *saved = (SkCustomer *)record;

  self->saving = FALSE;
  if (theirs_shown)
    {
      /* Theirs, shown: nothing wrong with the form. */
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
      mark_error (self, NULL);
      return;
    }
  if (saved == NULL)
    {
      const char  *field = sk_error_get_field (error);
      AdwEntryRow *bad = g_strcmp0 (field, "phone") == 0         ? self->phone_row
                         : g_strcmp0 (field, "card_number") == 0 ? self->card_row
                         : g_strcmp0 (field, "email") == 0       ? self->email_row
                                                                 : NULL;

      if (bad == NULL && g_error_matches (error, SK_ERROR, SK_ERROR_CONFLICT))
        bad = strstr (error->message, "card") ? self->card_row : self->phone_row;
      show_error (self, error, bad);
      /* Who holds that card or phone, in words a cashier can act on. */
      if (g_error_matches (error, SK_ERROR, SK_ERROR_CONFLICT)
          && (bad == self->card_row || bad == self->phone_row))
        sk_repository_lookup_customer_async (
            self->repository,
            bad == self->card_row ? sk_record_get_string (self->customer, "card_number")
                                  : sk_record_get_string (self->customer, "phone"),
            self->cancellable, holder_found_cb, self);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  mark_error (self, NULL);
  /* The copy as stored: its id and version for the next save. */
  g_set_object (&self->customer, saved);
  self->is_new = FALSE;
  g_signal_emit (self, signals[SAVED], 0, self->customer);
}

static const SkConflictHooks conflict_hooks
    = { conflict_show_error, conflict_show_record, save_done };

void
sk_customer_editor_save_async (SkCustomerEditor   *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *phone = NULL;
  const char      *name = text_or_null (self->name_row);
  const char      *phone_text = text_or_null (self->phone_row);
  const char      *birth = text_or_null (self->birth_row);
  const char      *children = text_or_null (self->children_row);
  Problems         problems = { NULL, NULL };

  g_return_if_fail (SK_IS_CUSTOMER_EDITOR (self));
  task = sk_save_task_new (self, sk_customer_editor_save_async, self->saving,
                           _ ("The customer is being saved"), cancellable, callback, user_data);
  if (task == NULL)
    return;

  mark_error (self, NULL);
  problems.messages = g_string_new (NULL);
  if (name == NULL)
    problem (self, &problems, self->name_row, _ ("Type the customer's name"));
  if (phone_text == NULL && text_or_null (self->card_row) == NULL)
    problem (self, &problems, self->phone_row, _ ("A customer needs a phone number or a card"));
  if (phone_text != NULL && (phone = sk_normalize_phone (phone_text, &local)) == NULL)
    {
      problem (self, &problems, self->phone_row, local->message);
      g_clear_error (&local);
    }
  if (birth != NULL && !sk_date_is_valid (birth))
    problem (self, &problems, self->birth_row, _ ("The birth date must look like 2015-06-30"));
  else if (birth != NULL && !date_not_future (birth))
    problem (self, &problems, self->birth_row, _ ("The birth date cannot be in the future"));

  {
    g_autoptr (GListStore) kids = g_list_store_new (SK_TYPE_CHILD);
    g_auto (GStrv) parts = g_strsplit (children ? children : "", ";", -1);

    for (guint i = 0; parts[i] != NULL; i++)
      {
        g_autofree char *part = g_strstrip (g_strdup (parts[i]));
        char            *space = strrchr (part, ' ');
        g_autoptr (SkChild) child = NULL;

        if (*part == '\0')
          continue;
        if (space == NULL || !sk_date_is_valid (space + 1))
          {
            problem (self, &problems, self->children_row,
                     _ ("Children: write “Name 2019-04-01”, separated by “;”"));
            break;
          }
        if (!date_not_future (space + 1))
          {
            problem (self, &problems, self->children_row,
                     _ ("A child's birth date cannot be in the future"));
            break;
          }
        *space = '\0';
        child = sk_child_new (g_strstrip (part), space + 1);
        g_list_store_append (kids, child);
      }
    if (problems.first == NULL)
      {
        g_object_set (self->customer, "full-name", name, "phone", phone, "card-number",
                      text_or_null (self->card_row), "email", text_or_null (self->email_row),
                      "birth-date", birth, "consent-email",
                      gtk_switch_get_active (self->email_switch), "consent-sms",
                      gtk_switch_get_active (self->sms_switch), "consent-push",
                      gtk_switch_get_active (self->push_switch), NULL);
        sk_customer_set_children (self->customer, G_LIST_MODEL (kids));
      }
  }

  if (problems.first != NULL)
    {
      g_set_error_literal (&local, SK_ERROR, SK_ERROR_INVALID, problems.messages->str);
      g_string_free (problems.messages, TRUE);
      sk_error_label_set (self->error_label, local->message);
      gtk_widget_grab_focus (GTK_WIDGET (problems.first));
      g_task_return_error (task, g_steal_pointer (&local));
      return;
    }
  g_string_free (problems.messages, TRUE);
  /* The store checks the rest (unique phone and card) on a worker. */
  self->saving = TRUE;
  sk_conflict_save (g_steal_pointer (&task), &conflict_hooks, self->repository,
                    SK_RECORD (self->customer), self->is_new, self->cancellable);
}

gboolean
sk_customer_editor_save_finish (SkCustomerEditor *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
saved_then_close_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  if (sk_customer_editor_save_finish (SK_CUSTOMER_EDITOR (source), result, NULL))
    gtk_window_destroy (GTK_WINDOW (source));
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  sk_customer_editor_save_async (SK_CUSTOMER_EDITOR (widget), NULL, saved_then_close_cb, NULL);
}

SkCustomerEditor *
sk_customer_editor_new (GtkWindow *parent, SkRepository *repository, SkCustomer *customer)
{
  SkCustomerEditor *self = g_object_new (SK_TYPE_CUSTOMER_EDITOR, "transient-for", parent, NULL);

  self->repository = g_object_ref (repository);
  self->is_new = customer == NULL;
  self->customer = customer ? sk_record_copy (SK_RECORD (customer)) : sk_customer_new ();
  if (self->is_new && sk_app () != NULL)
    {
      g_autofree char *store_id = sk_application_dup_store_id (sk_app ());

      /* Registered at this till: its store is the customer's. */
      if (store_id != NULL && *store_id != '\0')
        g_object_set (self->customer, "home-store-id", store_id, NULL);
    }
  if (!self->is_new)
    {
      gtk_window_set_title (GTK_WINDOW (self), _ ("Edit Customer"));
      fill_fields (self);
    }
  return self;
}

static void
sk_customer_editor_dispose (GObject *object)
{
  SkCustomerEditor *self = SK_CUSTOMER_EDITOR (object);

  sk_cancellable_clear (&self->cancellable);
  g_clear_object (&self->repository);
  g_clear_object (&self->customer);
  G_OBJECT_CLASS (sk_customer_editor_parent_class)->dispose (object);
}

static void
sk_customer_editor_class_init (SkCustomerEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_customer_editor_dispose;
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, SK_TYPE_CUSTOMER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-customer-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, phone_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, card_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, email_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, birth_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, children_row);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, email_switch);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, sms_switch);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, push_switch);
  gtk_widget_class_bind_template_child (widget_class, SkCustomerEditor, error_label);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sk_customer_editor_init (SkCustomerEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}
