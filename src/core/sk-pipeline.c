/* sk-pipeline.c: a sale from cart to ledger in one transaction (SPEC 4,
 * "Processing a purchase"), and refunds that undo it pro rata.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-notifications-private.h"
#include "sk-sale.h"

/* Requests */

void
sk_purchase_request_free (SkPurchaseRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->id);
  g_free (request->customer_id);
  g_free (request->visible_store_id);
  sk_cart_free (request->cart);
  g_free (request);
}

SkPurchaseRequest *
sk_purchase_request_from_json (JsonObject *object, GError **error)
{
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  JsonNode *node;

  g_return_val_if_fail (object != NULL, NULL);

  node = json_object_get_member (object, "id");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "id",
                          _ ("“id” (the purchase's UUID made by the till) is required"));
      return NULL;
    }
  request->id = g_strdup (json_node_get_string (node));

  node = json_object_get_member (object, "customer_id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "customer_id",
                              _ ("“customer_id” must be a string or null"));
          return NULL;
        }
      request->customer_id = g_strdup (json_node_get_string (node));
    }

  node = json_object_get_member (object, "bonus_to_spend");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "bonus_to_spend",
                              _ ("“bonus_to_spend” must be a whole number of kopecks"));
          return NULL;
        }
      request->bonus_to_spend = json_node_get_int (node);
    }

  node = json_object_get_member (object, "created_at");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !sk_time_from_rfc3339 (json_node_get_string (node), &request->created_at))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "created_at",
                              _ ("“created_at” must be an RFC 3339 date and time"));
          return NULL;
        }
    }

  request->cart = sk_cart_from_json (object, error);
  if (request->cart == NULL)
    return NULL;
  return g_steal_pointer (&request);
}

void
sk_purchase_result_free (SkPurchaseResult *result)
{
  if (result == NULL)
    return;
  g_clear_object (&result->purchase);
  g_clear_object (&result->customer);
  g_free (result);
}

JsonNode *
sk_purchase_result_to_json (SkPurchaseResult *result)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (result != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "purchase");
  sk_record_build_json (SK_RECORD (result->purchase), b);
  json_builder_set_member_name (b, "customer");
  if (result->customer != NULL)
    sk_record_build_json (SK_RECORD (result->customer), b);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "replayed");
  json_builder_add_boolean_value (b, result->replayed);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Segments of one customer, after each sale or refund */

/* The customer's move from segment @previous to @segment, in its history. */
static gboolean
record_segment_change (SkDatabase *self,
                       const char *customer_id,
                       const char *segment,
                       const char *previous,
                       gint64      now,
                       GError    **error)
{
  return sk_db_exec_pipelined (
      self, error,
      "INSERT INTO customer_segments (customer_id, segment, previous_segment, assigned_at)"
      " VALUES (?, ?, ?, ?)",
      "sssi", customer_id, segment, previous, now);
}

gboolean
sk_db_update_customer_segment (
    SkDatabase *self, const char *customer_id, gint64 now, const char **segment_out, GError **error)
{
  SkSegmentThresholds thresholds;
  gboolean            has_row = FALSE;
  gint64              visits = 0, spent = 0;
  g_autofree char    *current = NULL;
  const char         *segment;
  SkStmt             *stmt;

  sk_database_get_segment_thresholds (self, &thresholds);
  stmt
      = sk_db_query (self, error, "SELECT visits, total_spent, segment FROM customers WHERE id = ?",
                     "s", customer_id);
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    {
      visits = sk_stmt_int64 (stmt, 0);
      spent = sk_stmt_int64 (stmt, 1);
      current = g_strdup (sk_stmt_text (stmt, 2));
    }
  sk_stmt_reset (stmt);
  if (!has_row)
    return TRUE;

  segment = sk_segment_for (&thresholds, visits, spent);
  if (segment_out != NULL)
    *segment_out = segment;
  if (g_strcmp0 (segment, current) == 0)
    return TRUE;
  return sk_db_exec_pipelined (self, error, "UPDATE customers SET segment = ? WHERE id = ?", "ss",
                               segment, customer_id)
         && record_segment_change (self, customer_id, segment, current, now, error);
}

/* The pipeline */

/* The key a sale's message of bonuses earned is queued under (with its
 * channel after it): one per sale, and what a return finds it by. */
#define BONUS_EARNED_KEY "bonus_earned:"

/* @message, of the bonuses @purchase earned, with its values. */
static gboolean
queue_notifications (SkDatabase      *self,
                     SkQueuedMessage *message,
                     SkPurchase      *purchase,
                     SkStore         *store,
                     gint64           balance,
                     gint64           now,
                     GError         **error)
{
  g_autoptr (GHashTable) values = sk_notification_values_new ();
  g_autofree char *earned_text = sk_money_format_chain (purchase->bonus_earned);
  g_autofree char *balance_text = sk_money_format_chain (balance);
  g_autofree char *key = g_strconcat (BONUS_EARNED_KEY, purchase->id, NULL);
  SkCustomer      *customer = message->customer;

  sk_notification_values_set (values, "name",
                              customer->full_name != NULL ? customer->full_name : "");
  sk_notification_values_set (values, "amount", earned_text);
  sk_notification_values_set (values, "balance", balance_text);
  sk_notification_values_set (values, "store", store->name);
  message->values = values;
  message->dedup_key = key;
  return sk_db_queue_notifications (self, message, now, NULL, error);
}

static SkPurchaseResult *
load_result (SkDatabase *self, const char *purchase_id, gboolean replayed, GError **error)
{
  g_autoptr (SkPurchaseResult) result = g_new0 (SkPurchaseResult, 1);

  result->replayed = replayed;
  result->purchase = sk_database_get_purchase (self, purchase_id, error);
  if (result->purchase == NULL)
    return NULL;
  if (result->purchase->customer_id != NULL)
    {
      result->customer = sk_database_get_customer (self, result->purchase->customer_id, error);
      if (result->customer == NULL)
        return NULL;
    }
  return g_steal_pointer (&result);
}

/* What makes two requests with one id the same sale: the SHA-256 of the
 * parsed request, not of its text, so the order of members and the spaces
 * do not matter while every value that changes the sale does. Kept with
 * the purchase (migration 9). */
static char *
request_digest (const SkPurchaseRequest *request)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (b);
  /* The form's own version, should it ever change. */
  json_builder_add_string_value (b, "purchase-request-1");
  json_builder_add_string_value (b, request->id);
  json_builder_add_string_value (b, request->cart->store_id);
  sk_json_add_string_or_null (b, request->customer_id);
  json_builder_add_int_value (b, request->bonus_to_spend);
  json_builder_add_int_value (b, request->created_at);
  json_builder_begin_array (b);
  for (guint i = 0; i < request->cart->lines->len; i++)
    {
      const SkCartLine *line = &g_array_index (request->cart->lines, SkCartLine, i);
      const char       *texts[] = { line->sku, line->name, line->category };

      json_builder_begin_array (b);
      for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
        sk_json_add_string_or_null (b, texts[t]);
      json_builder_add_int_value (b, line->unit_price);
      json_builder_add_int_value (b, line->quantity);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/* A replay returns the first result and writes nothing, but only to a
 * caller who may see that sale and only for the same request, as Stripe
 * does: another body with a used id is a till's mistake, and answering it
 * with the first sale would hide that. Sales made before migration 9 have
 * no digest; their store and customer must match. */
static SkPurchaseResult *
replay (SkDatabase              *self,
        const SkPurchaseRequest *request,
        const char              *digest,
        const char              *store_id,
        const char              *customer_id,
        const char              *stored_digest,
        GError                 **error)
{
  gboolean same;

  if (request->visible_store_id != NULL && g_strcmp0 (store_id, request->visible_store_id) != 0)
    {
      /* 403 rather than 404: the id is taken whatever the answer, so
       * pretending it is free would only mislead the till. */
      sk_set_field_error (
          error, SK_ERROR_FORBIDDEN, "id",
          _ ("This id belongs to a sale of another store; a new sale needs a new id"));
      return NULL;
    }
  if (stored_digest != NULL)
    same = g_str_equal (stored_digest, digest);
  else
    same = g_strcmp0 (store_id, request->cart->store_id) == 0
           && g_strcmp0 (customer_id, request->customer_id) == 0;
  if (!same)
    {
      sk_set_field_error (error, SK_ERROR_IDEMPOTENCY_MISMATCH, "id",
                          _ ("This id was used for a different sale; a new sale needs a new id"));
      return NULL;
    }
  return load_result (self, request->id, TRUE, error);
}

/* @column + @param in SQL, stopping at the top of a 64-bit integer: for
 * running figures (what a customer spent in all, what a campaign gave) that
 * grow with every sale; SQLite would turn an overflow into a float,
 * PostgreSQL into an error. @param must not be negative. */
#define SATURATING_ADD(column, param)                                                              \
  "CASE WHEN " column " > 9223372036854775807 - " param " THEN 9223372036854775807"                \
  " ELSE " column " + " param " END"

static SkDiscountApplication *
find_application (SkPurchase *purchase, const char *rule_id)
{
  GListModel *apps = G_LIST_MODEL (purchase->applications);

  for (guint i = 0; i < g_list_model_get_n_items (apps); i++)
    {
      SkDiscountApplication *app = g_list_model_get_item (apps, i);

      g_object_unref (app); /* the purchase keeps it */
      if (g_strcmp0 (app->rule_id, rule_id) == 0)
        return app;
    }
  return NULL;
}

/* One application of the purchase, and the customer's use of its rule
 * (the customer's row is locked: one writer of these at a time). */
static gboolean
record_application (SkDatabase            *self,
                    SkPurchase            *purchase,
                    SkDiscountApplication *app,
                    GError               **error)
{
  if (!sk_db_insert_record_pipelined (self, "discount_applications", SK_RECORD (app), error))
    return FALSE;
  return purchase->customer_id == NULL
         || sk_db_exec_pipelined (
             self, error,
             "INSERT INTO rule_customer_uses (rule_id, customer_id, uses) VALUES (?, ?, 1)"
             " ON CONFLICT (customer_id, rule_id)"
             " DO UPDATE SET uses = rule_customer_uses.uses + 1",
             "ss", app->rule_id, purchase->customer_id);
}

typedef struct
{
  char  *id;
  gint64 amount;
  char  *campaign_id; /* a rule's: the campaign its application spends from */
} Count;

static int
count_compare (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Count *)a)->id, ((const Count *)b)->id);
}

static void
count_clear (gpointer data)
{
  g_free (((Count *)data)->id);
  g_free (((Count *)data)->campaign_id);
}

/* The counts the applications move: each rule's uses, then each campaign's
 * spending, in id order, so that sales beside one another lock these rows
 * in one order and never wait for each other in a circle. With @enforce
 * (an online sale, priced from counts read before these rows were locked)
 * a use beyond a rule's limit or spending beyond a campaign's budget,
 * taken by another sale meanwhile, fails with G_IO_ERROR_BUSY: priced
 * again, the sale no longer gets it. An offline sale's are facts. */
static gboolean
record_counts (SkDatabase *self, GArray *rules, gboolean enforce, GError **error)
{
  g_autoptr (GArray) campaigns = g_array_new (FALSE, TRUE, sizeof (Count));

  g_array_set_clear_func (campaigns, count_clear);
  g_array_sort (rules, count_compare);
  for (guint i = 0; i < rules->len; i++)
    {
      Count *rule = &g_array_index (rules, Count, i);

      if (!sk_db_exec (self, error,
                       "UPDATE discount_rules SET uses = uses + 1 WHERE id = ?1"
                       " AND (?2 = 0 OR usage_limit_total = 0 OR uses < usage_limit_total)",
                       "si", rule->id, (gint64)enforce))
        return FALSE;
      if (sk_db_changes (self) == 0 && enforce
          && sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM discount_rules WHERE id = ?",
                              "s", rule->id)
                 > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                       "Another sale took the last use of rule %s meanwhile", rule->id);
          return FALSE;
        }
      if (rule->campaign_id != NULL && rule->amount > 0)
        {
          Count campaign = { g_steal_pointer (&rule->campaign_id), rule->amount, NULL };

          g_array_append_val (campaigns, campaign);
        }
    }
  g_array_sort (campaigns, count_compare);
  for (guint i = 0; i < campaigns->len; i++)
    {
      const Count *campaign = &g_array_index (campaigns, Count, i);

      if (!sk_db_exec (
              self, error,
              "UPDATE campaigns SET spent = " SATURATING_ADD (
                  "spent",
                  "?1") " WHERE id = ?2 AND (?3 = 0 OR budget <= 0 OR spent + ?1 <= budget)",
              "isi", campaign->amount, campaign->id, (gint64)enforce))
        return FALSE;
      if (enforce && sk_db_changes (self) == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                       "Another sale spent campaign %s's budget meanwhile", campaign->id);
          return FALSE;
        }
    }
  return TRUE;
}

/* The purchase's applications (sk_sale_to_purchase made them), in the
 * order the rules applied, and the counts they move added to @rules.
 * Without @calc (an offline sale, recorded as the till made it), in the
 * purchase's own order. */
static gboolean
record_applications (SkDatabase           *self,
                     SkPurchase           *purchase,
                     const SkEngineResult *calc,
                     GArray               *rules,
                     GError              **error)
{
  GListModel *apps = G_LIST_MODEL (purchase->applications);

  for (guint i = 0; calc == NULL && i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, i);
      Count rule = { g_strdup (app->rule_id), app->amount, g_strdup (app->campaign_id) };

      g_array_append_val (rules, rule);
      if (!record_application (self, purchase, app, error))
        return FALSE;
    }
  for (guint i = 0; calc != NULL && i < calc->applied->len; i++)
    {
      const SkEngineApplied *applied = &g_array_index (calc->applied, SkEngineApplied, i);
      SkDiscountApplication *app = find_application (purchase, applied->rule->id);
      Count                  rule = { g_strdup (applied->rule->id), 0, NULL };

      g_assert (app != NULL);
      rule.amount = app->amount;
      rule.campaign_id = g_strdup (app->campaign_id);
      g_array_append_val (rules, rule);
      if (!record_application (self, purchase, app, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sk_db_insert_purchase (SkDatabase *self, SkPurchase *purchase, GError **error)
{
  GListModel *lines = G_LIST_MODEL (purchase->lines);

  if (purchase->updated_at == SK_TIME_NONE)
    purchase->updated_at = sk_time_now ();
  if (!sk_db_insert_record_pipelined (self, "purchases", SK_RECORD (purchase), error))
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) row = g_list_model_get_item (lines, i);

      if (!sk_db_exec_pipelined (
              self, error,
              "INSERT INTO purchase_lines (purchase_id, line_no, sku, name, category,"
              " unit_price, quantity, discount, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
              "sisssiiii", purchase->id, row->line_no, row->sku, row->name, row->category,
              row->unit_price, row->quantity, row->discount, row->total))
        return FALSE;
    }
  return TRUE;
}

/* Steps 3 and 6 to 8 of a sale with a customer: the ledger, the
 * notification, the customer's figures and segment. What it reads goes in
 * one round trip (the settings, the customer's row under the lock
 * sk_db_record_sale sent before, the message's template); what it writes
 * goes with the next statement, the row in one update. */
static gboolean
record_customer_side (SkDatabase *self,
                      SkPurchase *purchase,
                      SkStore    *store,
                      SkCustomer *customer,
                      gint64      now,
                      GError    **error)
{
  g_autoptr (SkBonusTransaction) earn_tx = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char    *previous = NULL;
  gint64              payable = sk_payable (purchase->subtotal, purchase->discount_total);
  gint64              expiry_days;
  SkSegmentThresholds thresholds;
  SkQueuedMessage     message = { .event = "bonus_earned", .customer = customer };
  const char         *segment;
  gboolean            has_row = FALSE, moved;
  SkStmt             *settings, *row;

  settings = sk_db_send_sale_settings (self, error);
  row = settings != NULL ? sk_db_query_ahead (self, error,
                                              "SELECT bonus_balance, visits, total_spent,"
                                              " last_purchase_at, segment FROM customers"
                                              " WHERE id = ?",
                                              "s", customer->id)
                         : NULL;
  if (row == NULL)
    return FALSE;
  if (purchase->bonus_earned > 0)
    message.template = sk_db_send_template (self, &message, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!sk_db_read_sale_settings (self, settings, &thresholds, &expiry_days, error)
      || !sk_db_step (self, row, &has_row, error))
    return FALSE;
  if (!has_row)
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "customer_id", _ ("There is no customer %s"),
                          customer->id);
      return FALSE;
    }
  customer->bonus_balance = sk_stmt_int64 (row, 0);
  customer->visits = sk_stmt_int64 (row, 1);
  customer->total_spent = sk_stmt_int64 (row, 2);
  customer->last_purchase_at = sk_stmt_int64 (row, 3);
  previous = g_strdup (sk_stmt_text (row, 4));
  sk_stmt_reset (row);

  /* 3 and 6: the ledger. Reasons the core writes are stored in English
   * (N_) so that every till and HQ read one text; the app shows them in
   * its reader's language. */
  if (purchase->bonus_spent > 0)
    {
      g_autoptr (SkBonusTransaction) spend_tx = NULL;

      spend_tx
          = sk_db_ledger_append (self, &customer->bonus_balance, NULL, customer->id, SK_BONUS_SPEND,
                                 -purchase->bonus_spent, N_ ("Paid with bonuses"), purchase->id,
                                 store->id, now, SK_TIME_NONE, error);
      if (spend_tx == NULL)
        return FALSE;
    }
  if (purchase->bonus_earned > 0)
    {
      gint64 after;

      /* Refused whole, before the ledger says "amount" of a request
       * that has none. */
      if (purchase->bonus_earned > SK_MONEY_MAX
          || !sk_money_add (customer->bonus_balance, purchase->bonus_earned, SK_BALANCE_MAX,
                            &after))
        {
          g_autofree char *limit = sk_money_format (SK_BALANCE_MAX);

          sk_set_field_error (error, SK_ERROR_INVALID, "customer_id",
                              _ ("The bonuses for this purchase would take the customer's balance"
                                 " beyond %s"),
                              limit);
          return FALSE;
        }
      earn_tx = sk_db_ledger_append (
          self, &customer->bonus_balance, NULL, customer->id, SK_BONUS_EARN, purchase->bonus_earned,
          N_ ("Bonuses for a purchase"), purchase->id, store->id, now,
          expiry_days > 0 ? now + expiry_days * G_TIME_SPAN_DAY : SK_TIME_NONE, error);
      if (earn_tx == NULL)
        return FALSE;
    }
  moved = purchase->bonus_spent > 0 || purchase->bonus_earned > 0;
  customer->flagged |= moved && customer->bonus_balance < 0;
  if (sk_db_fail_point_hit (self, "bonus", error))
    return FALSE;

  /* 7: the notification, queued with the sale. */
  if (earn_tx != NULL
      && !queue_notifications (self, &message, purchase, store, earn_tx->balance_after, now, error))
    return FALSE;
  if (sk_db_fail_point_hit (self, "notification", error))
    return FALSE;

  /* 8: statistics and segment. */
  customer->visits++;
  sk_money_add_saturating (&customer->total_spent, payable);
  customer->last_purchase_at = MAX (customer->last_purchase_at, purchase->created_at);
  segment = sk_segment_for (&thresholds, customer->visits, customer->total_spent);
  sk_set_str (&customer->segment, segment);
  /* A balance the sale moved below zero flags the customer, as the
   * ledger does (one unflagged by hand stays so otherwise). */
  if (!sk_db_exec_pipelined (self, error,
                             "UPDATE customers SET bonus_balance = ?1,"
                             " flagged = CASE WHEN ?7 <> 0 AND ?1 < 0 THEN 1 ELSE flagged END,"
                             " visits = ?2, total_spent = ?3, last_purchase_at = ?4, segment = ?5"
                             " WHERE id = ?6",
                             "iiiissi", customer->bonus_balance, customer->visits,
                             customer->total_spent, customer->last_purchase_at, segment,
                             customer->id, (gint64)moved)
      || (g_strcmp0 (segment, previous) != 0
          && !record_segment_change (self, customer->id, segment, previous, now, error)))
    return FALSE;
  return !sk_db_fail_point_hit (self, "segment", error);
}

gboolean
sk_db_record_sale (SkDatabase           *self,
                   SkPurchase           *purchase,
                   const SkEngineResult *calc,
                   const char           *digest,
                   SkStore              *store,
                   SkCustomer           *customer,
                   gint64                now,
                   GError              **error)
{
  g_autoptr (GArray) rules = g_array_new (FALSE, TRUE, sizeof (Count));

  /* Its row first: the order in which sales lock what they share (see
   * sk_db_begin_concurrent). Locked already for an online sale. */
  if (customer != NULL && !sk_db_lock_customer (self, customer->id, error))
    return FALSE;

  /* 4: the purchase and its lines. */
  if (!sk_db_insert_purchase (self, purchase, error)
      || (digest != NULL
          && !sk_db_exec (self, error, "UPDATE purchases SET request_hash = ? WHERE id = ?", "ss",
                          digest, purchase->id)))
    return FALSE;
  if (sk_db_fail_point_hit (self, "lines", error))
    return FALSE;

  /* 5: applications. */
  g_array_set_clear_func (rules, count_clear);
  if (!record_applications (self, purchase, calc, rules, error)
      || sk_db_fail_point_hit (self, "applications", error))
    return FALSE;

  if (customer != NULL && !record_customer_side (self, purchase, store, customer, now, error))
    return FALSE;

  /* Last, the counts sales beside one another share (a rule's uses, a
   * campaign's spending): their rows stay locked from here to the commit
   * only, so that tills pushing at once wait for each other the least.
   * What was sent without waiting is answered here: a sale recorded before
   * (its key met) fails this call, not a later one. */
  return record_counts (self, rules, calc != NULL, error) && sk_db_flush (self, error);
}
SkPurchaseResult *
sk_database_process_purchase (SkDatabase *self, SkPurchaseRequest *request, GError **error)
{
  SkEngineResult *calc = NULL;
  g_autoptr (SkSale) sale = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (JsonNode) payload = NULL;
  gint64           now, payable;
  const SkCart    *cart;
  g_autofree char *digest = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (request != NULL && request->cart != NULL, NULL);

  cart = request->cart;
  if (request->id == NULL || !g_uuid_string_is_valid (request->id))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "id", _ ("The purchase id must be a UUID"));
      return NULL;
    }
  if (!sk_cart_validate (cart, error))
    return NULL;
  if (request->bonus_to_spend < 0 || request->bonus_to_spend > SK_MONEY_MAX)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "bonus_to_spend",
                          _ ("Bonuses to spend cannot be negative"));
      return NULL;
    }
  if (request->customer_id == NULL && request->bonus_to_spend > 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "bonus_to_spend",
                          _ ("An anonymous buyer has no bonuses to spend"));
      return NULL;
    }

  digest = request_digest (request);
  /* Beside other sales: the rows it must not race on are locked below. */
  if (!sk_db_begin_concurrent (self, error))
    return NULL;

  {
    SkStmt *stmt = sk_db_query (
        self, error, "SELECT store_id, customer_id, request_hash FROM purchases WHERE id = ?", "s",
        request->id);
    gboolean         has_row = FALSE;
    g_autofree char *stored_store = NULL;
    g_autofree char *stored_customer = NULL;
    g_autofree char *stored_digest = NULL;

    if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
      goto fail;
    if (has_row)
      {
        stored_store = g_strdup (sk_stmt_text (stmt, 0));
        stored_customer = g_strdup (sk_stmt_text (stmt, 1));
        stored_digest = g_strdup (sk_stmt_text (stmt, 2));
      }
    sk_stmt_reset (stmt);
    if (has_row)
      {
        sk_db_rollback (self);
        return replay (self, request, digest, stored_store, stored_customer, stored_digest, error);
      }
  }

  store = sk_database_get_store (self, cart->store_id, NULL);
  if (store == NULL)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _ ("There is no store %s"),
                          cart->store_id);
      goto fail;
    }
  if (request->customer_id != NULL)
    {
      /* The balance the spend is checked against stays until the commit. */
      if (!sk_db_lock_customer (self, request->customer_id, error))
        goto fail;
      customer = sk_database_get_customer (self, request->customer_id, NULL);
      if (customer == NULL)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "customer_id", _ ("There is no customer %s"),
                              request->customer_id);
          goto fail;
        }
    }
  now = request->created_at != 0 ? request->created_at : sk_time_now ();

  /* 1-2: calculate and apply the discounts; the sale's figures are the
   * till's, by the same code. */
  calc = sk_database_calculate (self, cart, request->customer_id, now, error);
  if (calc == NULL)
    goto fail;
  sale = sk_sale_new_for_cart (store, customer, cart);
  sk_sale_set_result (sale, calc);
  payable = sk_sale_get_payable (sale);

  /* 3: spend, refused loudly when short or above the store's share. */
  if (!sk_bonus_spend_check (request->bonus_to_spend, payable, store->max_bonus_share,
                             customer ? customer->bonus_balance : 0, error))
    goto fail;
  sk_sale_set_bonus_to_spend (sale, request->bonus_to_spend);
  g_assert (sk_sale_get_bonus_to_spend (sale) == request->bonus_to_spend);

  /* 4: the purchase and its lines. */
  sk_sale_set_id (sale, request->id);
  purchase = sk_sale_to_purchase (sale, now);
  {
    g_autoptr (GError) local = NULL;

    if (!sk_db_record_sale (self, purchase, sk_sale_get_result (sale), digest, store, customer, now,
                            &local))
      {
        sk_db_rollback (self);
        /* The same sale, sent again while the first was being recorded
         * (PostgreSQL: the key waits for that transaction): the first's
         * answer, as for any replay. */
        if (g_error_matches (local, SK_ERROR, SK_ERROR_CONFLICT)
            && sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM purchases WHERE id = ?", "s",
                                request->id)
                   > 0)
          return sk_database_process_purchase (self, request, error);
        g_propagate_error (error, g_steal_pointer (&local));
        return NULL;
      }
  }

  /* The sale as a sync event, in the same transaction. The result is what
   * was written, as a replay will read it back. */
  {
    g_autoptr (SkPurchaseResult) result = g_new0 (SkPurchaseResult, 1);

    result->purchase = g_object_ref (purchase);
    result->customer = customer ? g_object_ref (customer) : NULL;
    /* The sale is the fact to sync; the server derives the customer's
     * figures itself. */
    payload = sk_record_to_json (SK_RECORD (purchase));
    if (!sk_db_outbox_add (self, "purchase", purchase->id, "create", payload, error))
      goto fail;
    /* A failed commit rolls back by itself. */
    if (!sk_db_commit (self, error))
      return NULL;
    return g_steal_pointer (&result);
  }

fail:
  sk_db_rollback (self);
  return NULL;
}

/* Refunds */

SkPurchase *
sk_database_refund_purchase (
    SkDatabase *self, const char *refund_id, const char *purchase_id, GArray *lines, GError **error)
{
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (GArray) quantities = NULL; /* gint64 to refund, per line index */
  g_autoptr (GArray) shares = NULL;     /* gint64 each discount gets back */
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) payload = NULL;
  GListModel      *purchase_lines;
  guint            n_lines;
  SkRefundFigures  figures;
  gint64           now;
  g_autofree char *existing = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (refund_id == NULL || !g_uuid_string_is_valid (refund_id))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "id", _ ("The refund id must be a UUID"));
      return NULL;
    }
  if (!sk_db_begin (self, error))
    return NULL;
  /* Taken holding the write lock: ledger times follow commit order. */
  now = sk_time_now ();

  /* Idempotent: a refund already made is answered with the purchase as it is. */
  {
    SkStmt *stmt
        = sk_db_query (self, error, "SELECT purchase_id FROM refunds WHERE id = ?", "s", refund_id);
    gboolean has_row = FALSE;

    if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
      goto fail;
    if (has_row)
      existing = g_strdup (sk_stmt_text (stmt, 0));
    sk_stmt_reset (stmt);
  }
  if (existing != NULL)
    {
      sk_db_rollback (self);
      if (g_strcmp0 (existing, purchase_id) != 0)
        {
          sk_set_field_error (error, SK_ERROR_CONFLICT, "id",
                              _ ("This refund id was used for another purchase"));
          return NULL;
        }
      return sk_database_get_purchase (self, purchase_id, error);
    }

  if (lines != NULL && lines->len == 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "lines", _ ("Choose what to return"));
      goto fail;
    }
  purchase = sk_database_get_purchase (self, purchase_id, error);
  if (purchase == NULL)
    goto fail;
  purchase_lines = G_LIST_MODEL (purchase->lines);
  n_lines = g_list_model_get_n_items (purchase_lines);
  quantities = g_array_new (FALSE, TRUE, sizeof (gint64));
  g_array_set_size (quantities, n_lines);

  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (purchase_lines, i);

      if (lines == NULL)
        g_array_index (quantities, gint64, i) = line->quantity - line->refunded_quantity;
    }
  for (guint k = 0; lines != NULL && k < lines->len; k++)
    {
      const SkRefundLine *want = &g_array_index (lines, SkRefundLine, k);
      g_autoptr (SkPurchaseLine) line = NULL;
      g_autofree char *field = g_strdup_printf ("lines[%u]", k);
      gint64          *q;

      if (want->line_no < 1 || want->line_no > n_lines)
        {
          g_autofree char *line_no = g_strdup_printf ("%" G_GINT64_FORMAT, want->line_no);

          sk_set_field_error (error, SK_ERROR_INVALID, field, _ ("The purchase has no line %s"),
                              line_no);
          goto fail;
        }
      line = g_list_model_get_item (purchase_lines, want->line_no - 1);
      q = &g_array_index (quantities, gint64, want->line_no - 1);
      /* Compared with what is left, so a huge quantity cannot overflow the sum. */
      if (want->quantity <= 0 || want->quantity > line->quantity - line->refunded_quantity - *q)
        {
          g_autofree char *line_no = g_strdup_printf ("%" G_GINT64_FORMAT, want->line_no);
          g_autofree char *left = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                   line->quantity - line->refunded_quantity - *q);

          sk_set_field_error (error, SK_ERROR_INVALID, field,
                              _ ("Line %s: at most %s can be returned"), line_no, left);
          goto fail;
        }
      *q += want->quantity;
    }

  /* Each line returns its share of what was paid for it and of its discount. */
  if (!sk_refund_figures (purchase, (const gint64 *)(gpointer)quantities->data, &figures))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "lines",
                          _ ("Everything in this purchase was already returned"));
      goto fail;
    }
  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (purchase_lines, i);
      gint64 q = g_array_index (quantities, gint64, i);

      if (q > 0
          && !sk_db_exec (self, error,
                          "UPDATE purchase_lines SET refunded_quantity = ? WHERE purchase_id = ? "
                          "AND line_no = ?",
                          "isi", line->refunded_quantity + q, purchase->id, line->line_no))
        goto fail;
    }

  if (!sk_db_exec (self, error,
                   "UPDATE purchases SET refunded_total = refunded_total + ?, status = ?,"
                   " discount_refunded = discount_refunded + ?,"
                   " bonus_reversed = bonus_reversed + ?, bonus_returned = bonus_returned + ?,"
                   " updated_at = ? WHERE id = ?",
                   "isiiiis", figures.amount, figures.complete ? "refunded" : "partially_refunded",
                   figures.discount_after - figures.discount_before, figures.bonus_reversed,
                   figures.bonus_returned, sk_time_now (), purchase->id)
      || !sk_db_exec (self, error,
                      "INSERT INTO refunds (id, purchase_id, amount, bonus_reversed, "
                      "bonus_returned, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      "ssiiii", refund_id, purchase->id, figures.amount, figures.bonus_reversed,
                      figures.bonus_returned, now))
    goto fail;

  /* Each discount, and the budget of its campaign at the sale, gets back
   * what it gave the lines returned; a use counts until the whole purchase
   * is returned. */
  shares = sk_refund_application_shares (purchase, (const gint64 *)(gpointer)quantities->data);
  for (guint i = 0; i < shares->len; i++)
    {
      g_autoptr (SkDiscountApplication) app
          = g_list_model_get_item (G_LIST_MODEL (purchase->applications), i);
      gint64 back = g_array_index (shares, gint64, i);

      /* A kopeck rounded the other way since can come back as −1. */
      if (back != 0
          && (!sk_db_exec (self, error,
                           "UPDATE discount_applications SET amount_refunded = amount_refunded + ?"
                           " WHERE id = ?",
                           "is", back, app->id)
              || (app->campaign_id != NULL
                  && !sk_db_exec (self, error,
                                  "UPDATE campaigns SET spent = CASE WHEN spent > ?1 THEN spent - "
                                  "?1 ELSE 0 END WHERE id = ?2",
                                  "is", back, app->campaign_id))))
        goto fail;
      if (figures.complete
          && (!sk_db_exec (self, error,
                           "UPDATE discount_rules SET uses = CASE WHEN uses > 0 THEN uses - 1 ELSE "
                           "0 END WHERE id = ?",
                           "s", app->rule_id)
              || (purchase->customer_id != NULL
                  && !sk_db_exec (self, error,
                                  "UPDATE rule_customer_uses SET uses = CASE WHEN uses > 0 THEN "
                                  "uses - 1 ELSE 0 END"
                                  " WHERE rule_id = ? AND customer_id = ?",
                                  "ss", app->rule_id, purchase->customer_id))))
        goto fail;
    }

  if (purchase->customer_id != NULL)
    {
      g_autoptr (SkBonusTransaction) returned_tx = NULL;
      g_autoptr (SkBonusTransaction) reversed_tx = NULL;

      if (figures.bonus_returned > 0)
        {
          returned_tx = sk_db_ledger_append (self, NULL, NULL, purchase->customer_id,
                                             SK_BONUS_REVERSE, figures.bonus_returned,
                                             N_ ("Refund: bonuses paid are returned"), purchase->id,
                                             purchase->store_id, now, SK_TIME_NONE, error);
          if (returned_tx == NULL)
            goto fail;
        }
      if (figures.bonus_reversed > 0)
        {
          reversed_tx = sk_db_ledger_append (
              self, NULL, NULL, purchase->customer_id, SK_BONUS_REVERSE, -figures.bonus_reversed,
              N_ ("Refund: bonuses earned are taken back"), purchase->id, purchase->store_id, now,
              SK_TIME_NONE, error);
          if (reversed_tx == NULL)
            goto fail;
        }
      if (!sk_db_exec (self, error,
                       "UPDATE customers SET total_spent = total_spent - ?,"
                       " visits = visits - ? WHERE id = ?",
                       "iis", figures.amount, (gint64)(figures.complete ? 1 : 0),
                       purchase->customer_id)
          || !sk_db_update_customer_segment (self, purchase->customer_id, now, NULL, error))
        goto fail;
      /* A sale wholly returned took its bonuses back: the message that
       * they were earned is not sent, where it has not gone yet (nor is
       * being sent). */
      if (figures.complete)
        {
          g_autofree char *key = g_strconcat (BONUS_EARNED_KEY, purchase->id, ":", NULL);
          g_autofree char *email = g_strconcat (key, "email", NULL);
          g_autofree char *sms = g_strconcat (key, "sms", NULL);
          g_autofree char *push = g_strconcat (key, "push", NULL);

          if (!sk_db_exec (self, error,
                           "DELETE FROM notifications WHERE dedup_key IN (?, ?, ?)"
                           " AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)",
                           "sssi", email, sms, push, now))
            goto fail;
        }
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, refund_id);
  json_builder_set_member_name (builder, "purchase_id");
  json_builder_add_string_value (builder, purchase->id);
  json_builder_set_member_name (builder, "lines");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_lines; i++)
    if (g_array_index (quantities, gint64, i) > 0)
      {
        json_builder_begin_object (builder);
        json_builder_set_member_name (builder, "line_no");
        json_builder_add_int_value (builder, i + 1);
        json_builder_set_member_name (builder, "quantity");
        json_builder_add_int_value (builder, g_array_index (quantities, gint64, i));
        json_builder_end_object (builder);
      }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_int_value (builder, figures.amount);
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);
  if (!sk_db_outbox_add (self, "refund", refund_id, "create", payload, error))
    goto fail;
  /* A failed commit rolls back by itself. */
  if (!sk_db_commit (self, error))
    return NULL;

  return sk_database_get_purchase (self, purchase_id, error);

fail:
  sk_db_rollback (self);
  return NULL;
}
