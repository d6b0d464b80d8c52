/* sk-notifications.c: the store's side of delivering notifications.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-notifications.h"

gboolean
sk_notification_event_is_marketing (const char *event)
{
  return g_strcmp0 (event, "campaign") == 0 || g_strcmp0 (event, "birthday") == 0;
}

void
sk_outgoing_free (SkOutgoing *outgoing)
{
  if (outgoing == NULL)
    return;
  g_free (outgoing->id);
  g_free (outgoing->customer_id);
  g_free (outgoing->channel);
  g_free (outgoing->event);
  g_free (outgoing->recipient);
  g_free (outgoing->subject);
  g_free (outgoing->body);
  g_free (outgoing);
}

GPtrArray *
sk_database_claim_notifications (SkDatabase        *self,
                                 const char *const *channels,
                                 const char        *owner,
                                 gint64             now,
                                 gint64             lease_until,
                                 guint              limit,
                                 GError           **error)
{
  const char *wanted[3] = { NULL, NULL, NULL };
  g_autoptr (GPtrArray) rows = NULL;
  GPtrArray *claimed;
  SkStmt    *stmt;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (owner != NULL, NULL);
  g_return_val_if_fail (lease_until > now, NULL);

  for (guint i = 0; channels != NULL && channels[i] != NULL; i++)
    {
      g_return_val_if_fail (i < G_N_ELEMENTS (wanted), NULL);
      wanted[i] = channels[i];
    }
  stmt = sk_db_query (self, error, sk_db_sql (self, SK_SQL_NOTIFICATIONS_CLAIM), "issssii", now,
                      owner, wanted[0], wanted[1], wanted[2], (gint64)limit, lease_until);
  if (stmt == NULL)
    return NULL;
  rows = sk_db_query_records (self, stmt, SK_TYPE_NOTIFICATION, error);
  if (rows == NULL)
    return NULL;
  claimed = g_ptr_array_new_with_free_func ((GDestroyNotify)sk_outgoing_free);
  for (guint i = 0; i < rows->len; i++)
    {
      SkNotification *n = g_ptr_array_index (rows, i);
      SkOutgoing     *out = g_new0 (SkOutgoing, 1);

      out->id = g_strdup (n->id);
      out->customer_id = g_strdup (n->customer_id);
      out->channel = g_strdup (n->channel);
      out->event = g_strdup (n->event);
      out->recipient = g_strdup (n->recipient);
      out->subject = g_strdup (n->subject);
      out->body = g_strdup (n->body);
      out->attempts = n->attempts;
      g_ptr_array_add (claimed, out);
    }
  return claimed;
}

static gboolean
finish_notification (SkDatabase       *self,
                     const char       *id,
                     const char       *owner,
                     SkDeliveryOutcome outcome,
                     gint64            when,
                     const char       *message,
                     GError          **error)
{
  /* Each clears the lease, and only the lease's owner may. */
  static const char *const sql[] = {
    [SK_DELIVERY_SENT] = "UPDATE notifications SET status = 'sent', sent_at = ?3, error = NULL,"
                         " lease_owner = NULL, lease_until = NULL"
                         " WHERE id = ?1 AND lease_owner = ?2 AND status = 'pending'",
    [SK_DELIVERY_RETRY] = "UPDATE notifications SET next_attempt_at = ?3, error = ?4,"
                          " lease_owner = NULL, lease_until = NULL"
                          " WHERE id = ?1 AND lease_owner = ?2 AND status = 'pending'",
    [SK_DELIVERY_FAILED] = "UPDATE notifications SET status = 'failed', error = ?3,"
                           " lease_owner = NULL, lease_until = NULL"
                           " WHERE id = ?1 AND lease_owner = ?2 AND status = 'pending'",
    [SK_DELIVERY_HOLD] = "UPDATE notifications SET next_attempt_at = ?3, attempts = attempts - 1,"
                         " lease_owner = NULL, lease_until = NULL"
                         " WHERE id = ?1 AND lease_owner = ?2 AND status = 'pending'",
  };
  gboolean done;

  switch (outcome)
    {
    case SK_DELIVERY_FAILED:
      done = sk_db_exec (self, error, sql[outcome], "sss", id, owner, message);
      break;
    case SK_DELIVERY_RETRY:
      done = sk_db_exec (self, error, sql[outcome], "ssis", id, owner, when, message);
      break;
    case SK_DELIVERY_SENT:
    case SK_DELIVERY_HOLD:
    default:
      done = sk_db_exec (self, error, sql[outcome], "ssi", id, owner, when);
      break;
    }
  if (!done)
    return FALSE;
  return sk_db_changes (self) == 1;
}

gboolean
sk_database_finish_notifications (SkDatabase             *self,
                                  const char             *owner,
                                  const SkDeliveryRecord *records,
                                  guint                   n_records,
                                  guint                  *skipped,
                                  GError                **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (owner != NULL, FALSE);
  g_return_val_if_fail (records != NULL || n_records == 0, FALSE);

  if (skipped != NULL)
    *skipped = 0;
  if (n_records == 0)
    return TRUE;
  if (!sk_db_begin (self, error))
    return FALSE;
  for (guint i = 0; i < n_records; i++)
    {
      g_autoptr (GError) local = NULL;

      g_return_val_if_fail (records[i].outcome <= SK_DELIVERY_HOLD, FALSE);
      if (finish_notification (self, records[i].id, owner, records[i].outcome, records[i].when,
                               records[i].message, &local))
        continue;
      if (local != NULL)
        {
          sk_db_rollback (self);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (skipped != NULL)
        (*skipped)++;
    }
  return sk_db_commit (self, error);
}

void
sk_notification_audience_clear (SkNotificationAudience *audience)
{
  g_clear_pointer (&audience->timezone, g_free);
  memset (audience, 0, sizeof *audience);
}

gboolean
sk_database_notification_audience (SkDatabase             *self,
                                   const char             *customer_id,
                                   const char             *channel,
                                   gint64                  since,
                                   SkNotificationAudience *out,
                                   GError                **error)
{
  SkStmt  *stmt;
  gboolean has_row = FALSE;
  int      consent_column;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (channel != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (g_str_equal (channel, "email"))
    consent_column = 0;
  else if (g_str_equal (channel, "sms"))
    consent_column = 1;
  else if (g_str_equal (channel, "push"))
    consent_column = 2;
  else
    {
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("Unknown channel: %s"), channel);
      return FALSE;
    }
  if (customer_id == NULL)
    return TRUE;
  stmt = sk_db_query (self, error,
                      "SELECT c.consent_email, c.consent_sms, c.consent_push, s.timezone"
                      " FROM customers AS c LEFT JOIN stores AS s ON s.id = c.home_store_id"
                      " WHERE c.id = ?",
                      "s", customer_id);
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    {
      out->exists = TRUE;
      out->consent = sk_stmt_int64 (stmt, consent_column) != 0;
      out->timezone = sk_stmt_is_null (stmt, 3) ? NULL : g_strdup (sk_stmt_text (stmt, 3));
    }
  sk_stmt_reset (stmt);
  /* The customer's whole history is read for marketing messages only. */
  if (has_row && since != SK_TIME_NONE)
    {
      g_autoptr (GError) local = NULL;

      out->marketing_sent = sk_db_query_int (
          self, &local, 0,
          "SELECT count(*) FROM notifications WHERE customer_id = ? AND status = 'sent'"
          " AND event IN ('campaign', 'birthday') AND sent_at > ?",
          "si", customer_id, since);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  return TRUE;
}

SkNotification *
sk_database_get_notification (SkDatabase *self, const char *id, GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  SkStmt *stmt;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  stmt = sk_db_query (self, error, "SELECT * FROM notifications WHERE id = ?", "s", id);
  if (stmt == NULL)
    return NULL;
  rows = sk_db_query_records (self, stmt, SK_TYPE_NOTIFICATION, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_NOT_FOUND, _ ("No such notification"));
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (rows, 0));
}

gboolean
sk_database_withdraw_consent (SkDatabase *self,
                              const char *customer_id,
                              const char *channel,
                              const char *notification_id,
                              gint64      now,
                              GError    **error)
{
  g_autoptr (SkCustomer) customer = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (channel != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  customer = sk_database_get_customer (self, customer_id, error);
  if (customer == NULL)
    goto fail;
  if (g_str_equal (channel, "email"))
    customer->consent_email = FALSE;
  else if (g_str_equal (channel, "sms"))
    customer->consent_sms = FALSE;
  else if (g_str_equal (channel, "push"))
    customer->consent_push = FALSE;
  else
    {
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, _ ("Unknown channel: %s"), channel);
      goto fail;
    }
  if (!sk_database_update_customer (self, customer, error))
    goto fail;
  /* The first time the link of that message was followed: its campaign's
   * figures count it. */
  if (notification_id != NULL
      && !sk_db_exec (self, error,
                      "UPDATE notifications SET unsubscribed_at = ? WHERE id = ?"
                      " AND customer_id = ? AND unsubscribed_at IS NULL",
                      "iss", now, notification_id, customer_id))
    goto fail;
  return sk_db_commit (self, error);

fail:
  sk_db_rollback (self);
  return FALSE;
}

char *
sk_database_setting_once (SkDatabase *self, const char *key, const char *value, GError **error)
{
  SkStmt  *stmt;
  gboolean has_row = FALSE;
  char    *stored = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (key != NULL && value != NULL, NULL);

  if (!sk_db_exec (self, error,
                   "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                   "ss", key, value))
    return NULL;
  stmt = sk_db_query (self, error, "SELECT value FROM settings WHERE key = ?", "s", key);
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return NULL;
  if (has_row)
    stored = g_strdup (sk_stmt_text (stmt, 0));
  sk_stmt_reset (stmt);
  if (stored == NULL)
    g_set_error (error, SK_ERROR, SK_ERROR_DATABASE, _ ("The setting %s was not kept"), key);
  return stored;
}
