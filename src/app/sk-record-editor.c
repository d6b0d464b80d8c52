/* sk-record-editor.c: the editors' record, save and error line.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-conflict-dialog.h"
#include "sk-error.h"
#include "sk-record-editor.h"
#include "sk-widgets.h"

typedef struct
{
  SkRepository *repository;
  SkRecord     *record; /* a copy being edited */
  SkRecord     *base;   /* the version it was opened at (or last saved, or merged with) */
  gboolean      is_new;
  gboolean      saving;
  GCancellable *cancellable;
  GtkLabel     *error_label;
  gboolean      filling;  /* the form being filled, not edited */
  gboolean      watching; /* its fields' changes followed */
  gboolean      edited;   /* typed into since it was shown, not saved */
} SkRecordEditorPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (SkRecordEditor, sk_record_editor, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

#define PRIV(self) ((SkRecordEditorPrivate *)sk_record_editor_get_instance_private (self))

/* A field the user edits: what was said wrong is answered, or will be
 * again at the next save; the form does not keep saying it meanwhile. */
static void
field_changed_cb (GtkWidget *row, SkRecordEditor *self)
{
  SkRecordEditorPrivate *priv = PRIV (self);

  if (priv->filling)
    return;
  /* The user's typing, not the form filled before it is shown. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    priv->edited = TRUE;
  gtk_widget_remove_css_class (row, "error");
  if (priv->error_label != NULL)
    sk_error_label_set (priv->error_label, NULL);
}

/* Follows every text field of the form, Enter in each saving; returns the
 * first one shown. */
static GtkWidget *
watch_fields (SkRecordEditor *self, GtkWidget *widget)
{
  GtkWidget *first = NULL;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = child;

      if (ADW_IS_ENTRY_ROW (child))
        {
          g_signal_connect_object (child, "changed", G_CALLBACK (field_changed_cb), self, 0);
          /* Enter in a field saves, as the header's Save does. */
          adw_entry_row_set_activates_default (ADW_ENTRY_ROW (child), TRUE);
        }
      else if (GTK_IS_BUTTON (child)
               && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), "editor.save")
                      == 0)
        {
          gtk_window_set_default_widget (GTK_WINDOW (self), child);
          found = NULL;
        }
      else
        found = watch_fields (self, child);
      if (first == NULL && found != NULL && gtk_widget_get_visible (found))
        first = found;
    }
  return first;
}

void
sk_record_editor_edit (SkRecordEditor *self,
                       SkRepository   *repository,
                       SkRecord       *record,
                       gboolean        is_new)
{
  SkRecordEditorPrivate *priv = PRIV (self);

  g_return_if_fail (SK_IS_RECORD_EDITOR (self));
  g_return_if_fail (repository == NULL || SK_IS_REPOSITORY (repository));
  g_return_if_fail (SK_IS_RECORD (record));

  g_set_object (&priv->repository, repository);
  g_clear_object (&priv->record);
  priv->record = record;
  /* The form writes into @record: the version it was opened at stays. */
  g_clear_object (&priv->base);
  priv->base = sk_record_copy (record);
  priv->is_new = is_new;
  if (!priv->watching)
    {
      /* Typing goes into the first field, not onto the header's Cancel. */
      GtkWidget *first = watch_fields (self, GTK_WIDGET (self));

      priv->watching = TRUE;
      if (first != NULL)
        gtk_widget_grab_focus (first);
    }
  sk_window_fit_parent (GTK_WINDOW (self));
}

void
sk_record_editor_set_error_label (SkRecordEditor *self, GtkLabel *label)
{
  g_return_if_fail (SK_IS_RECORD_EDITOR (self));
  PRIV (self)->error_label = label;
}

gpointer
sk_record_editor_get_record (SkRecordEditor *self)
{
  g_return_val_if_fail (SK_IS_RECORD_EDITOR (self), NULL);
  return PRIV (self)->record;
}

gboolean
sk_record_editor_get_is_new (SkRecordEditor *self)
{
  g_return_val_if_fail (SK_IS_RECORD_EDITOR (self), FALSE);
  return PRIV (self)->is_new;
}

SkRepository *
sk_record_editor_get_repository (SkRecordEditor *self)
{
  g_return_val_if_fail (SK_IS_RECORD_EDITOR (self), NULL);
  return PRIV (self)->repository;
}

GCancellable *
sk_record_editor_get_cancellable (SkRecordEditor *self)
{
  g_return_val_if_fail (SK_IS_RECORD_EDITOR (self), NULL);
  return PRIV (self)->cancellable;
}

const char *
sk_record_editor_get_error (SkRecordEditor *self)
{
  g_return_val_if_fail (SK_IS_RECORD_EDITOR (self), NULL);
  return PRIV (self)->error_label ? sk_error_label_get (PRIV (self)->error_label) : NULL;
}

static void
show_error (SkRecordEditor *self, const GError *error)
{
  SK_RECORD_EDITOR_GET_CLASS (self)->show_error (self, error);
}

static void
real_show_error (SkRecordEditor *self, const GError *error)
{
  if (PRIV (self)->error_label != NULL)
    sk_error_label_set (PRIV (self)->error_label, error ? error->message : NULL);
}

/* The save is over (not cancelled). */
static void
save_shown (SkRecordEditor *self, SkRecord *saved, const GError *error, gboolean theirs_shown)
{
  SkRecordEditorPrivate *priv = PRIV (self);

  priv->saving = FALSE;
  /* Theirs shown: nothing wrong with the form. */
  show_error (self, saved == NULL && !theirs_shown ? error : NULL);
  if (saved == NULL)
    return;
  /* The copy as stored: its id and version for the next save, and what
   * the next edits are made from. */
  g_set_object (&priv->record, saved);
  g_clear_object (&priv->base);
  priv->base = sk_record_copy (saved);
  priv->is_new = FALSE;
  g_signal_emit (self, signals[SAVED], 0, priv->record);
}

/* Saving, through a conflict: when someone else saved the record meanwhile
 * (SK_ERROR_STALE) the user decides (sk_conflict_resolve_async) and the
 * version decided on is saved when it is to be, all under the editor's
 * cancellable. */

typedef struct
{
  GTask        *task; /* the editor's */
  SkRepository *repository;
  SkRecord     *record;
  gboolean      create;
  GCancellable *cancellable;
  gboolean      theirs_shown;
} Save;

static void
save_free (Save *save)
{
  g_object_unref (save->task);
  g_object_unref (save->repository);
  g_object_unref (save->record);
  g_clear_object (&save->cancellable);
  g_free (save);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Save, save_free)

/* The editor shows how the save ended (unless cancelled), and its task
 * completes. */
static void
save_done (Save *save, SkRecord *saved, GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    save_shown (g_task_get_source_object (save->task), saved, error, save->theirs_shown);
  if (saved != NULL)
    g_task_return_boolean (save->task, TRUE);
  else
    g_task_return_error (save->task, error);
}

static void save_stored_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* The repository's save of the record's type. */
static void
save_record (Save *save)
{
  GCancellable *cancellable = save->cancellable;

  if (SK_IS_CUSTOMER (save->record))
    sk_repository_save_customer_async (save->repository, SK_CUSTOMER (save->record), save->create,
                                       cancellable, save_stored_cb, save);
  else if (SK_IS_DISCOUNT_RULE (save->record))
    sk_repository_save_rule_async (save->repository, SK_DISCOUNT_RULE (save->record), cancellable,
                                   save_stored_cb, save);
  else
    sk_repository_save_campaign_async (save->repository, SK_CAMPAIGN (save->record), cancellable,
                                       save_stored_cb, save);
}

static gpointer
save_record_finish (SkRepository *repository, GAsyncResult *result, GError **error)
{
  if (g_async_result_is_tagged (result, sk_repository_save_customer_async))
    return sk_repository_save_customer_finish (repository, result, error);
  if (g_async_result_is_tagged (result, sk_repository_save_rule_async))
    return sk_repository_save_rule_finish (repository, result, error);
  return sk_repository_save_campaign_finish (repository, result, error);
}

/* Someone else's version, and the user's decision. */
static void
save_resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Save) save = user_data;
  g_autoptr (SkRecord) decided = NULL;
  g_autoptr (SkRecord) stored = NULL;
  GError  *error = NULL;
  gboolean again
      = sk_conflict_resolve_finish (result, (gpointer *)&decided, (gpointer *)&stored, &error);

  /* The version decided on (mine, merged or theirs) is what the editor
   * shows, made from the stored one. */
  if (decided != NULL)
    {
      SkRecordEditor *self = g_task_get_source_object (save->task);

      g_set_object (&PRIV (self)->record, decided);
      g_set_object (&PRIV (self)->base, stored);
      PRIV (self)->filling = TRUE;
      SK_RECORD_EDITOR_GET_CLASS (self)->fill_form (self);
      PRIV (self)->filling = FALSE;
    }
  if (again)
    {
      /* Saved over the other version (its version number). */
      g_set_object (&save->record, decided);
      save->create = FALSE;
      save_record (g_steal_pointer (&save));
      return;
    }
  save->theirs_shown = decided != NULL;
  save_done (save, NULL, error);
}

static void
save_stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Save) save = user_data;
  g_autoptr (SkRecord) saved = NULL;
  GError *error = NULL;

  saved = save_record_finish (SK_REPOSITORY (source), result, &error);
  if (saved == NULL && g_error_matches (error, SK_ERROR, SK_ERROR_STALE) && !save->create)
    {
      Save           *asking = g_steal_pointer (&save);
      SkRecordEditor *editor = g_task_get_source_object (asking->task);

      /* Saved by someone else meanwhile (HQ's copy came with a sync):
       * both versions, and the user decides. */
      show_error (editor, error);
      g_error_free (error);
      sk_conflict_resolve_async (GTK_WINDOW (editor), asking->repository, PRIV (editor)->base,
                                 asking->record, asking->cancellable, save_resolved_cb, asking);
      return;
    }
  save_done (save, saved, error);
}

/* Completes @task (taken; its source object is the editor) with TRUE, or
 * with the error. */
static void
save_through_conflict (GTask        *task,
                       SkRepository *repository,
                       SkRecord     *record,
                       gboolean      create,
                       GCancellable *cancellable)
{
  Save *save = g_new0 (Save, 1);

  save->task = task;
  save->repository = g_object_ref (repository);
  save->record = g_object_ref (record);
  save->create = create;
  save->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  save_record (save);
}

void
sk_record_editor_save_async (SkRecordEditor     *self,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  SkRecordEditorPrivate *priv;
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) local = NULL;

  g_return_if_fail (SK_IS_RECORD_EDITOR (self));
  priv = PRIV (self);
  task = sk_save_task_new (self, sk_record_editor_save_async, priv->saving,
                           SK_RECORD_EDITOR_GET_CLASS (self)->busy_message, cancellable, callback,
                           user_data);
  if (task == NULL)
    return;
  if (!SK_RECORD_EDITOR_GET_CLASS (self)->read_form (self, &local))
    {
      g_task_return_error (task, g_steal_pointer (&local));
      return;
    }
  priv->saving = TRUE;
  save_through_conflict (g_steal_pointer (&task), priv->repository, priv->record, priv->is_new,
                         priv->cancellable);
}

gboolean
sk_record_editor_save_finish (SkRecordEditor *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
saved_then_close_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  if (sk_record_editor_save_finish (SK_RECORD_EDITOR (source), result, NULL))
    gtk_window_destroy (GTK_WINDOW (source));
}

static gboolean
destroy_cb (gpointer window)
{
  gtk_window_destroy (window);
  return G_SOURCE_REMOVE;
}

static void
discard_response_cb (AdwMessageDialog *dialog, const char *response, SkRecordEditor *self)
{
  if (!g_str_equal (response, "discard"))
    return;
  PRIV (self)->edited = FALSE;
  /* Once the dialog, which the editor carries, is done answering. */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, destroy_cb, g_object_ref (self), g_object_unref);
}

/* Escape, Cancel or the window's close: what was typed is not thrown away
 * without asking. */
static gboolean
sk_record_editor_close_request (GtkWindow *window)
{
  SkRecordEditor *self = SK_RECORD_EDITOR (window);
  GtkWidget      *dialog;

  if (!PRIV (self)->edited || PRIV (self)->saving)
    return GTK_WINDOW_CLASS (sk_record_editor_parent_class)->close_request (window);
  dialog = adw_message_dialog_new (window, _ ("Discard Changes?"),
                                   _ ("What was typed here has not been saved."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "keep", _ ("_Keep Editing"),
                                    "discard", _ ("_Discard"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  /* Return keeps the typing: on a narrow window libadwaita stacks the
   * buttons, Discard first, and the focus would start on it. */
  sk_message_dialog_focus_default (ADW_MESSAGE_DIALOG (dialog));
  return TRUE;
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  sk_record_editor_save_async (SK_RECORD_EDITOR (widget), NULL, saved_then_close_cb, NULL);
}

static void
sk_record_editor_dispose (GObject *object)
{
  SkRecordEditorPrivate *priv = PRIV (SK_RECORD_EDITOR (object));

  sk_cancellable_clear (&priv->cancellable);
  g_clear_object (&priv->repository);
  g_clear_object (&priv->record);
  g_clear_object (&priv->base);
  G_OBJECT_CLASS (sk_record_editor_parent_class)->dispose (object);
}

static void
sk_record_editor_class_init (SkRecordEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_record_editor_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = sk_record_editor_close_request;
  klass->show_error = real_show_error;
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, SK_TYPE_RECORD);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save",
                                       NULL);
}

static void
sk_record_editor_init (SkRecordEditor *self)
{
  PRIV (self)->cancellable = g_cancellable_new ();
}
