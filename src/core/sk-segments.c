/* sk-segments.c: customer segments (SPEC 4, "Segments"): thresholds kept in
 * the file, one customer after a sale, or everyone in one set-based pass.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"

#define DEFAULT_VIP_VISITS     10
#define DEFAULT_VIP_SPENT      1000000 /* 10 000 ₽ */
#define DEFAULT_REGULAR_VISITS 5

void
sk_database_get_segment_thresholds (SkDatabase *self, SkSegmentThresholds *out)
{
  g_return_if_fail (SK_IS_DATABASE (self));

  sk_db_read_sale_settings (self, sk_db_send_sale_settings (self, NULL), out, NULL, NULL);
}

SkStmt *
sk_db_send_sale_settings (SkDatabase *self, GError **error)
{
  /* One query: this runs in every sale. */
  return sk_db_query_ahead (
      self, error,
      "SELECT key, value FROM settings WHERE key IN ('segment_vip_visits',"
      " 'segment_vip_spent', 'segment_regular_visits', '" SK_SETTING_BONUS_EXPIRY_DAYS "')",
      NULL);
}

gboolean
sk_db_read_sale_settings (
    SkDatabase *self, SkStmt *stmt, SkSegmentThresholds *out, gint64 *expiry_days, GError **error)
{
  gboolean has_row = FALSE;
  gboolean ok;

  g_return_val_if_fail (out != NULL, FALSE);

  out->vip_visits = DEFAULT_VIP_VISITS;
  out->vip_spent = DEFAULT_VIP_SPENT;
  out->regular_visits = DEFAULT_REGULAR_VISITS;
  if (expiry_days != NULL)
    *expiry_days = 0;
  while ((ok = stmt != NULL && sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      const char *key = sk_stmt_text (stmt, 0);
      gint64      value;

      if (g_str_equal (key, SK_SETTING_BONUS_EXPIRY_DAYS))
        {
          /* As sk_database_get_setting_int () reads it. */
          if (expiry_days != NULL
              && !g_ascii_string_to_signed (sk_stmt_text (stmt, 1), 10, G_MININT64, G_MAXINT64,
                                            expiry_days, NULL))
            *expiry_days = 0;
          continue;
        }
      if (!g_ascii_string_to_signed (sk_stmt_text (stmt, 1), 10, 0, G_MAXINT64, &value, NULL))
        continue;
      if (g_str_equal (key, "segment_vip_visits"))
        out->vip_visits = value;
      else if (g_str_equal (key, "segment_vip_spent"))
        out->vip_spent = value;
      else
        out->regular_visits = value;
    }
  if (stmt != NULL)
    sk_stmt_reset (stmt);
  return ok;
}

gboolean
sk_database_set_segment_thresholds (SkDatabase                *self,
                                    const SkSegmentThresholds *thresholds,
                                    GError                   **error)
{
  char number[32];

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (thresholds != NULL, FALSE);

  /* one_time (1 visit) and occasional sit below regular: keep the order. */
  if (thresholds->regular_visits < 2)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "regular_visits",
                          _ ("A regular customer needs at least 2 visits"));
      return FALSE;
    }
  if (thresholds->vip_visits < thresholds->regular_visits)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "vip_visits",
                          _ ("VIP needs at least as many visits as regular"));
      return FALSE;
    }
  if (thresholds->vip_spent < 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "vip_spent",
                          _ ("The VIP amount cannot be negative"));
      return FALSE;
    }

  if (!sk_db_begin (self, error))
    return FALSE;
  g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, thresholds->vip_visits);
  if (!sk_database_set_setting (self, "segment_vip_visits", number, error))
    goto fail;
  g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, thresholds->vip_spent);
  if (!sk_database_set_setting (self, "segment_vip_spent", number, error))
    goto fail;
  g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, thresholds->regular_visits);
  if (!sk_database_set_setting (self, "segment_regular_visits", number, error))
    goto fail;
  return sk_db_commit (self, error);

fail:
  sk_db_rollback (self);
  return FALSE;
}

const char *
sk_segment_for (const SkSegmentThresholds *t, gint64 visits, gint64 total_spent)
{
  g_return_val_if_fail (t != NULL, NULL);

  if (visits >= t->vip_visits && total_spent >= t->vip_spent)
    return SK_SEGMENT_VIP;
  if (visits >= t->regular_visits)
    return SK_SEGMENT_REGULAR;
  if (visits == 1)
    return SK_SEGMENT_ONE_TIME;
  if (visits <= 0)
    return SK_SEGMENT_NEW;
  return SK_SEGMENT_OCCASIONAL;
}

/* The same rule as sk_segment_for, in SQL; ?1 vip visits, ?2 vip spent,
 * ?3 regular visits. */
#define SEGMENT_CASE                                                                               \
  "(CASE WHEN visits >= ?1 AND total_spent >= ?2 THEN 'vip'"                                       \
  " WHEN visits >= ?3 THEN 'regular'"                                                              \
  " WHEN visits = 1 THEN 'one_time'"                                                               \
  " WHEN visits <= 0 THEN 'new'"                                                                   \
  " ELSE 'occasional' END)"

gint64
sk_database_update_segments (SkDatabase *self, GError **error)
{
  SkSegmentThresholds t;
  gint64              changed;

  g_return_val_if_fail (SK_IS_DATABASE (self), -1);

  sk_database_get_segment_thresholds (self, &t);
  if (!sk_db_begin (self, error))
    return -1;
  if (!sk_db_exec (
          self, error,
          "INSERT INTO customer_segments (customer_id, segment, previous_segment, assigned_at)"
          " SELECT id, " SEGMENT_CASE ", segment, ?4 FROM customers"
          " WHERE segment <> " SEGMENT_CASE,
          "iiii", t.vip_visits, t.vip_spent, t.regular_visits, sk_time_now ()))
    goto fail;
  changed = sk_db_changes (self);
  if (!sk_db_exec (self, error,
                   "UPDATE customers SET segment = " SEGMENT_CASE " WHERE segment <> " SEGMENT_CASE,
                   "iii", t.vip_visits, t.vip_spent, t.regular_visits))
    goto fail;
  if (!sk_db_commit (self, error))
    return -1;
  return changed;

fail:
  sk_db_rollback (self);
  return -1;
}

GPtrArray *
sk_database_list_segment_history (SkDatabase *self, const char *customer_id, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_db_query_records (self,
                              sk_db_query (self, error,
                                           "SELECT * FROM customer_segments WHERE customer_id = ?"
                                           " ORDER BY assigned_at, id",
                                           "s", customer_id),
                              SK_TYPE_SEGMENT_ASSIGNMENT, error);
}

GPtrArray *
sk_database_list_notifications (SkDatabase *self,
                                const char *customer_id,
                                const char *store_id,
                                const char *cursor,
                                guint       limit,
                                char      **next_cursor,
                                GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  return sk_db_query_page (
      self, SK_TYPE_NOTIFICATION,
      "SELECT * FROM notifications"
      " WHERE (created_at < ?1 OR (created_at = ?1 AND id < ?2))"
      " AND (?4 = '' OR customer_id = ?4)"
      /* The server's policy: a customer of the store is
       * one whose home it is, or who bought there. */
      " AND (?5 = '' OR customer_id IN (SELECT id FROM customers WHERE home_store_id = ?5)"
      "      OR EXISTS (SELECT 1 FROM purchases"
      "                 WHERE purchases.customer_id = notifications.customer_id"
      "                 AND purchases.store_id = ?5))"
      " ORDER BY created_at DESC, id DESC LIMIT ?3",
      customer_id, store_id, NULL, cursor, limit, next_cursor, error);
}
