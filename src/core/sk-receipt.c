/* sk-receipt.c: a sale's receipt, as text and as an e-mail.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-notifications-private.h"
#include "sk-receipt.h"

char *
sk_receipt_format (SkPurchase *purchase, SkCustomer *customer, SkStore *store)
{
  GString         *s = g_string_new (NULL);
  GListModel      *lines = sk_purchase_get_lines (purchase);
  GListModel      *apps = sk_purchase_get_applications (purchase);
  g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (purchase, "created_at"));
  g_autofree char *subtotal = sk_money_format (sk_record_get_int64 (purchase, "subtotal"));
  g_autofree char *discount = sk_money_format (sk_record_get_int64 (purchase, "discount_total"));
  g_autofree char *spent = sk_money_format (sk_record_get_int64 (purchase, "bonus_spent"));
  g_autofree char *paid = sk_money_format (sk_record_get_int64 (purchase, "total_paid"));
  g_autofree char *earned = sk_money_format (sk_record_get_int64 (purchase, "bonus_earned"));

  g_string_append_printf (s, "%s\n%s\n",
                          store ? sk_record_get_string (store, "name") : _ ("Skidka"), when);
  g_string_append_printf (s, _ ("Receipt %.8s\n"), sk_record_get_id (purchase));
  g_string_append (s, "────────────────────────────\n");
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, i);
      g_autofree char *price = sk_money_format (sk_record_get_int64 (l, "unit_price"));
      /* Quantity × price is what the line costs before its discount, said
       * on the next line: the two read as a sum a customer can check. */
      g_autofree char *amount = sk_money_format (sk_record_get_int64 (l, "total")
                                                 + sk_record_get_int64 (l, "discount"));

      g_string_append_printf (s, "%s\n  %" G_GINT64_FORMAT " × %s = %s\n",
                              sk_record_get_string (l, "name"), sk_record_get_int64 (l, "quantity"),
                              price, amount);
      if (sk_record_get_int64 (l, "discount") > 0)
        {
          g_autofree char *d = sk_money_format (sk_record_get_int64 (l, "discount"));

          g_string_append_printf (s, _ ("  discount −%s\n"), d);
        }
    }
  g_string_append (s, "────────────────────────────\n");
  g_string_append_printf (s, _ ("Subtotal: %s\n"), subtotal);
  for (guint i = 0; i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr (SkDiscountApplication) a = g_list_model_get_item (apps, i);
      g_autofree char *amount = sk_money_format (sk_record_get_int64 (a, "amount"));

      /* A bonus multiplier takes no money off: its name, not "−0,00". */
      if (sk_record_get_int64 (a, "amount") == 0)
        g_string_append_printf (s, "  %s\n", sk_record_get_string (a, "rule_name"));
      else
        g_string_append_printf (s, "  %s: −%s\n", sk_record_get_string (a, "rule_name"), amount);
    }
  if (sk_record_get_int64 (purchase, "discount_total") > 0)
    g_string_append_printf (s, _ ("Discount: −%s\n"), discount);
  if (sk_record_get_int64 (purchase, "bonus_spent") > 0)
    g_string_append_printf (s, _ ("Paid with bonuses: %s\n"), spent);
  g_string_append_printf (s, _ ("Paid: %s\n"), paid);
  if (customer != NULL)
    {
      g_autofree char *balance = sk_money_format (sk_record_get_int64 (customer, "bonus_balance"));

      g_string_append_printf (s, _ ("Bonuses earned: %s\n"), earned);
      g_string_append_printf (s, _ ("Bonus balance: %s\n"), balance);
    }
  return g_string_free (s, FALSE);
}

gboolean
sk_receipt_can_email (SkCustomer *customer)
{
  return customer != NULL && customer->consent_email && !sk_str_is_blank (customer->email);
}

gboolean
sk_db_queue_receipt (SkDatabase *self,
                     const char *purchase_id,
                     gint64      now,
                     gboolean    outbox,
                     gboolean   *queued,
                     GError    **error)
{
  static const char *const email[] = { "email", NULL };
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GHashTable) values = sk_notification_values_new ();
  g_autofree char *text = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *dedup = NULL;
  SkQueuedMessage  message = { 0 };
  SkReach          reach = { 0 };

  if (queued != NULL)
    *queued = FALSE;
  purchase = sk_database_get_purchase (self, purchase_id, error);
  if (purchase == NULL)
    return FALSE;
  if (purchase->customer_id != NULL)
    {
      customer = sk_database_get_customer (self, purchase->customer_id, error);
      if (customer == NULL)
        return FALSE;
    }
  if (customer == NULL || !sk_receipt_can_email (customer))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "customer_id",
                          customer == NULL ? _ ("The sale has no customer to send its receipt to")
                                           : _ ("The customer has not agreed to receive e-mail"));
      return FALSE;
    }
  store = sk_database_get_store (self, purchase->store_id, NULL);
  text = sk_receipt_format (purchase, customer, store);
  paid = sk_money_format_chain (purchase->total_paid);
  sk_notification_values_set (values, "name",
                              customer->full_name != NULL ? customer->full_name : "");
  sk_notification_values_set (values, "store", store != NULL ? store->name : "");
  sk_notification_values_set (values, "amount", paid);
  sk_notification_values_set (values, "receipt", text);
  dedup = g_strdup_printf ("receipt:%s", purchase->id);
  message.event = "receipt";
  message.customer = customer;
  message.values = values;
  message.dedup_key = dedup;
  message.channels = email;
  if (!sk_db_queue_notifications (self, &message, now, &reach, error))
    return FALSE;
  if (reach.email > 0 && outbox)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) payload = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "purchase_id");
      json_builder_add_string_value (b, purchase->id);
      json_builder_end_object (b);
      payload = json_builder_get_root (b);
      if (!sk_db_outbox_add (self, "notification", purchase->id, "create", payload, error))
        return FALSE;
    }
  if (queued != NULL)
    *queued = reach.email > 0;
  return TRUE;
}

gboolean
sk_database_queue_receipt (
    SkDatabase *self, const char *purchase_id, gint64 now, gboolean *queued, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (purchase_id != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_queue_receipt (self, purchase_id, now, TRUE, queued, error))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}
