/* sk-sync.c: HQ's side of a till's push (SPEC 6): devices, and each pushed
 * event applied once, in one transaction with the device's acknowledged
 * sequence. Offline sales are facts: recorded at the till's prices once
 * they add up, through the pipeline's own steps (sk_db_record_sale).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-change-feed.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-sale.h"
#include "sk-notifications-private.h"
#include "sk-sync.h"

/* A sale stamped this far after it reached HQ was made by a till whose
 * clock runs ahead: recorded, and listed for review. */
#define CLOCK_AHEAD_LIMIT (10 * G_TIME_SPAN_MINUTE)
/* Texts a till sends that HQ keeps (reasons, versions): at most this long. */
#define MAX_TEXT 1000

/* Events and answers */

void
sk_sync_event_free (SkSyncEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->id);
  g_free (event->kind);
  g_clear_pointer (&event->payload, json_node_unref);
  g_free (event);
}

static gboolean
node_is (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

SkSyncEvent *
sk_sync_event_from_json (JsonNode *node, GError **error)
{
  g_autoptr (SkSyncEvent) event = g_new0 (SkSyncEvent, 1);
  JsonObject *object;
  JsonNode   *member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          _ ("An event is an object {seq, id, kind, payload, created_at}"));
      return NULL;
    }
  object = json_node_get_object (node);

  member = json_object_get_member (object, "seq");
  if (!node_is (member, G_TYPE_INT64) || json_node_get_int (member) < 1)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "seq",
                          _ ("“seq” (the device's sequence number) must be a whole number from 1"));
      return NULL;
    }
  event->seq = json_node_get_int (member);

  member = json_object_get_member (object, "id");
  if (!node_is (member, G_TYPE_STRING) || !g_uuid_string_is_valid (json_node_get_string (member)))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "id",
                          _ ("“id” (the event's UUID) is required"));
      return NULL;
    }
  event->id = g_strdup (json_node_get_string (member));

  member = json_object_get_member (object, "kind");
  if (!node_is (member, G_TYPE_STRING) || strlen (json_node_get_string (member)) > 100)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "kind", _ ("“kind” must be a short string"));
      return NULL;
    }
  event->kind = g_strdup (json_node_get_string (member));

  member = json_object_get_member (object, "created_at");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member)
      && (!node_is (member, G_TYPE_STRING)
          || !sk_time_from_rfc3339 (json_node_get_string (member), &event->created_at)))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "created_at",
                          _ ("“created_at” must be an RFC 3339 date and time"));
      return NULL;
    }

  /* Whatever it is: a payload that is not what its kind needs is that
   * event's rejection, not the push's. */
  member = json_object_get_member (object, "payload");
  event->payload = member != NULL ? json_node_copy (member) : json_node_new (JSON_NODE_NULL);
  return g_steal_pointer (&event);
}

const char *
sk_sync_status_to_string (SkSyncStatus status)
{
  switch (status)
    {
    case SK_SYNC_APPLIED:
      return "applied";
    case SK_SYNC_DUPLICATE:
      return "duplicate";
    case SK_SYNC_REJECTED:
      return "rejected";
    default:
      g_return_val_if_reached ("rejected");
    }
}

static SkSyncStatus
status_from_string (const char *text)
{
  if (g_strcmp0 (text, "applied") == 0)
    return SK_SYNC_APPLIED;
  if (g_strcmp0 (text, "duplicate") == 0)
    return SK_SYNC_DUPLICATE;
  return SK_SYNC_REJECTED;
}

void
sk_sync_answer_free (SkSyncAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->id);
  g_free (answer->duplicate_of);
  g_clear_pointer (&answer->result, json_node_unref);
  g_free (answer->code);
  g_free (answer->message);
  g_free (answer->field);
  g_clear_pointer (&answer->review, json_node_unref);
  g_free (answer);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  sk_json_add_string_or_null (b, value);
}

JsonNode *
sk_sync_answer_to_json (const SkSyncAnswer *answer)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (answer != NULL, NULL);

  json_builder_begin_object (b);
  add_string (b, "id", answer->id);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, answer->seq);
  add_string (b, "status", sk_sync_status_to_string (answer->status));
  if (answer->status == SK_SYNC_DUPLICATE)
    {
      add_string (b, "first_status", sk_sync_status_to_string (answer->first_status));
      add_string (b, "duplicate_of", answer->duplicate_of);
    }
  if (answer->result != NULL)
    {
      json_builder_set_member_name (b, "result");
      json_builder_add_value (b, json_node_copy (answer->result));
    }
  if (answer->code != NULL)
    {
      add_string (b, "code", answer->code);
      add_string (b, "message", answer->message);
      add_string (b, "field", answer->field);
    }
  if (answer->review != NULL)
    {
      json_builder_set_member_name (b, "review");
      json_builder_add_value (b, json_node_copy (answer->review));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Applying one event */

typedef struct
{
  SkDatabase         *db;
  const SkSyncPusher *pusher;
  SkStore            *store; /* the device's */
  const SkSyncEvent  *event;
  gint64              now;
  JsonArray          *review;
  gboolean            limited;     /* a rule the sale applied has a limit or a campaign */
  SkStmt             *customer;    /* a sale's customer, sent ahead with its look-up */
  const char         *customer_id; /* whom it reads */
} Apply;

static gboolean
reject (SkSyncAnswer *a, const char *code, const char *field, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

/* The event is refused for what it says: FALSE, with the answer's code. */
static gboolean
reject (SkSyncAnswer *a, const char *code, const char *field, const char *format, ...)
{
  va_list args;

  a->status = SK_SYNC_REJECTED;
  g_free (a->code);
  g_free (a->field);
  g_free (a->message);
  a->code = g_strdup (code);
  a->field = g_strdup (field);
  va_start (args, format);
  a->message = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

/* A review item {type, ...members as name, value pairs (strings)}. */
static JsonObject *
review_add (Apply *c, const char *type)
{
  JsonObject *item = json_object_new ();

  json_object_set_string_member (item, "type", type);
  json_array_add_object_element (c->review, item);
  return item;
}

static gboolean
member_string (
    SkSyncAnswer *a, JsonObject *object, const char *name, gboolean required, const char **out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required
           || reject (a, "malformed", name, _ ("“%s” is required in this event's payload"), name);
  if (!node_is (node, G_TYPE_STRING) || strlen (json_node_get_string (node)) > MAX_TEXT)
    return reject (a, "malformed", name, _ ("“%s” must be a string"), name);
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
member_int (SkSyncAnswer *a,
            JsonObject   *object,
            const char   *name,
            gboolean      required,
            gint64        fallback,
            gint64       *out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required
           || reject (a, "malformed", name, _ ("“%s” is required in this event's payload"), name);
  if (!node_is (node, G_TYPE_INT64))
    return reject (a, "malformed", name, _ ("“%s” must be a whole number"), name);
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
member_time (SkSyncAnswer *a, JsonObject *object, const char *name, gint64 *out)
{
  const char *text;

  *out = SK_TIME_NONE;
  if (!member_string (a, object, name, FALSE, &text))
    return FALSE;
  if (text != NULL && !sk_time_from_rfc3339 (text, out))
    return reject (a, "malformed", name, _ ("“%s” must be an RFC 3339 date and time"), name);
  return TRUE;
}

static gboolean
member_uuid (SkSyncAnswer *a, JsonObject *object, const char *name, gboolean required, char **out)
{
  const char *text;

  if (!member_string (a, object, name, required, &text))
    return FALSE;
  if (text != NULL && !g_uuid_string_is_valid (text))
    return reject (a, "malformed", name, _ ("“%s” must be a UUID"), name);
  *out = g_strdup (text);
  return TRUE;
}

/* An application's "line_amounts", whole numbers, one per line of @p (what
 * they must add up to is sk_purchase_check_line_amounts's). None, from a
 * till older than them, is no reason: returns then share the discount pro
 * rata. */
static gboolean
member_line_amounts (
    SkSyncAnswer *a, JsonObject *object, const char *field, SkPurchase *p, GArray **out)
{
  JsonNode *node = json_object_get_member (object, "line_amounts");
  guint     n_lines = g_list_model_get_n_items (G_LIST_MODEL (p->lines));
  g_autoptr (GArray) amounts = NULL;
  JsonArray *array;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  amounts = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n_lines);
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      gint64    on_line;

      if (!node_is (item, G_TYPE_INT64))
        break;
      on_line = json_node_get_int (item);
      g_array_append_val (amounts, on_line);
    }
  if (array == NULL || amounts->len != n_lines || json_array_get_length (array) != n_lines)
    return reject (a, "malformed", field,
                   _ ("“line_amounts” must be the discount applied on each line, one per line"));
  *out = g_steal_pointer (&amounts);
  return TRUE;
}

/* Is @customer of the device's store (its home store, or it bought there)? */
static gboolean
customer_is_local (Apply *c, SkCustomer *customer, gboolean *local, GError **error)
{
  *local = g_strcmp0 (customer->home_store_id, c->store->id) == 0;
  return *local || sk_database_customer_bought_at (c->db, customer->id, c->store->id, local, error);
}

/* The customer @id stands for: the one it was merged into when it is an
 * alias (a second registration of the same person), else @id itself. */
static gboolean
resolve_customer (Apply *c, const char *id, char **out, GError **error)
{
  gboolean has_row = FALSE;
  SkStmt  *stmt;

  *out = NULL;
  if (id == NULL)
    return TRUE;
  stmt = sk_db_query (c->db, error, "SELECT customer_id FROM customer_aliases WHERE alias_id = ?",
                      "s", id);
  if (stmt == NULL || !sk_db_step (c->db, stmt, &has_row, error))
    return FALSE;
  *out = g_strdup (has_row ? sk_stmt_text (stmt, 0) : id);
  sk_stmt_reset (stmt);
  return TRUE;
}

/* Sales */

/* What a sale of the till says, read into a purchase as it will be
 * recorded; NULL when it does not add up (rejected in @a) or when the
 * database failed (@error). */
static SkPurchase *
read_purchase (Apply *c, JsonObject *o, SkSyncAnswer *a, SkCustomer **customer, GError **error)
{
  g_autoptr (SkPurchase) p = sk_purchase_new ();
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (GError) invalid = NULL;
  JsonNode   *node;
  JsonArray  *lines, *apps = NULL;
  const char *text;
  gint64      subtotal = 0, discounts = 0, applied = 0, payable;
  guint       lines_known = 0; /* applications that say what they gave each line */

  if (!member_uuid (a, o, "id", TRUE, &p->id) || !member_string (a, o, "store_id", TRUE, &text))
    return NULL;
  p->store_id = g_strdup (text);
  if (!member_string (a, o, "customer_id", FALSE, &text))
    return NULL;
  /* The customer, or the one it was merged into, read at once. */
  if (text != NULL)
    {
      g_autoptr (GError) local = NULL;

      *customer = c->customer != NULL && g_str_equal (text, c->customer_id)
                      ? sk_db_read_customer (c->db, c->customer, text, &local)
                      : sk_db_get_customer_or_survivor (c->db, text, &local);
      c->customer = NULL;
      if (*customer == NULL && !g_error_matches (local, SK_ERROR, SK_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      p->customer_id = g_strdup (*customer != NULL ? (*customer)->id : text);
    }
  if (!member_time (a, o, "created_at", &p->created_at)
      || !member_int (a, o, "subtotal", TRUE, 0, &p->subtotal)
      || !member_int (a, o, "discount_total", TRUE, 0, &p->discount_total)
      || !member_int (a, o, "bonus_spent", FALSE, 0, &p->bonus_spent)
      || !member_int (a, o, "bonus_earned", FALSE, 0, &p->bonus_earned)
      || !member_int (a, o, "total_paid", TRUE, 0, &p->total_paid)
      || !member_int (a, o, "bonus_multiplier", FALSE, 100, &p->bonus_multiplier))
    return NULL;
  if (p->created_at == SK_TIME_NONE)
    p->created_at = c->event->created_at != 0 ? c->event->created_at : c->now;
  p->status = g_strdup ("completed");

  node = json_object_get_member (o, "lines");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return reject (a, "malformed", "lines", _ ("A sale needs its lines")), NULL;
  lines = json_node_get_array (node);
  if (json_array_get_length (lines) == 0 || json_array_get_length (lines) > SK_SYNC_MAX_LINES)
    return reject (a, "invalid_value", "lines",
                   g_dngettext (GETTEXT_PACKAGE, "A sale has from 1 to %d line",
                                "A sale has from 1 to %d lines", SK_SYNC_MAX_LINES),
                   SK_SYNC_MAX_LINES),
           NULL;
  node = json_object_get_member (o, "applications");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_ARRAY (node)
          || json_array_get_length (json_node_get_array (node)) > SK_SYNC_MAX_LINES)
        return reject (a, "malformed", "applications",
                       _ ("“applications” must be the list of discounts applied")),
               NULL;
      apps = json_node_get_array (node);
    }

  /* The lines: each one's price and quantity as a cart's (the engine's
   * bounds), its discount within it, its total what is left. */
  cart = sk_cart_new (p->store_id);
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonNode        *item = json_array_get_element (lines, i);
      g_autofree char *field = g_strdup_printf ("lines[%u]", i);
      g_autoptr (SkPurchaseLine) line = NULL;
      JsonObject *lo;
      const char *sku, *name, *category;
      gint64      unit_price, quantity, discount, total, line_total;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return reject (a, "malformed", field, _ ("Each line is an object")), NULL;
      lo = json_node_get_object (item);
      if (!member_string (a, lo, "sku", FALSE, &sku) || !member_string (a, lo, "name", FALSE, &name)
          || !member_string (a, lo, "category", FALSE, &category)
          || !member_int (a, lo, "unit_price", TRUE, 0, &unit_price)
          || !member_int (a, lo, "quantity", TRUE, 0, &quantity)
          || !member_int (a, lo, "discount", FALSE, 0, &discount)
          || !member_int (a, lo, "total", TRUE, 0, &total))
        {
          g_autofree char *inner = g_strdup_printf ("%s.%s", field, a->field);

          g_free (a->field);
          a->field = g_steal_pointer (&inner);
          return NULL;
        }
      sk_cart_add_line (cart, sku, name, category, unit_price, quantity);
      /* Bounded as a cart's below; here only kept from overflowing. */
      if (unit_price < 0 || quantity <= 0
          || __builtin_mul_overflow (unit_price, quantity, &line_total)
          || line_total > SK_MONEY_MAX)
        return reject (a, "invalid_value", field,
                       _ ("Line %u: the quantity or the price is out of range"), i + 1),
               NULL;
      if (discount < 0 || discount > line_total || total != line_total - discount)
        return reject (a, "inconsistent", field,
                       _ ("Line %u does not add up: its total must be its price times its"
                          " quantity less its discount"),
                       i + 1),
               NULL;
      line = sk_purchase_line_new (sku, name, category, unit_price, quantity);
      line->line_no = i + 1;
      line->discount = discount;
      line->total = total;
      g_list_store_append (p->lines, line);
      /* Each below 10^12, so a thousand of them stay far inside 64 bits. */
      subtotal += line_total;
      discounts += discount;
    }
  /* Prices and quantities within the engine's bounds, as a sale at HQ. */
  if (!sk_cart_validate (cart, &invalid))
    {
      const char      *inner = sk_error_get_field (invalid);
      g_autofree char *field = NULL;

      if (inner != NULL && g_str_has_prefix (inner, "items"))
        field = g_strconcat ("lines", inner + strlen ("items"), NULL);
      return reject (a, "invalid_value", field, "%s", invalid->message), NULL;
    }

  /* The sale's figures: those of its lines, and the bonuses within what
   * was payable (a balance the server does not have is no reason: the
   * sale happened). */
  if (p->subtotal != subtotal)
    return reject (a, "inconsistent", "subtotal", _ ("The subtotal is not the sum of the lines")),
           NULL;
  if (p->discount_total != discounts)
    return reject (a, "inconsistent", "discount_total",
                   _ ("The discount is not the sum of the lines' discounts")),
           NULL;
  payable = sk_payable (p->subtotal, p->discount_total);
  if (p->bonus_spent < 0 || p->bonus_spent > payable
      || (p->customer_id == NULL && p->bonus_spent > 0))
    return reject (a, "inconsistent", "bonus_spent",
                   _ ("Bonuses spent must be within what was payable, and need a customer")),
           NULL;
  if (p->total_paid != sk_paid_in_money (payable, p->bonus_spent))
    return reject (a, "inconsistent", "total_paid",
                   _ ("The total paid is not the subtotal less the discount and the bonuses")),
           NULL;
  if (p->bonus_multiplier < 100 || p->bonus_multiplier > 100000)
    return reject (a, "invalid_value", "bonus_multiplier",
                   _ ("The bonus multiplier must be from 100 to 100000 hundredths")),
           NULL;
  /* The till's accrual is what its receipt said; it cannot be more than
   * the highest rate (100 %) with the sale's multiplier gives. */
  if (p->bonus_earned < 0
      || p->bonus_earned > sk_bonus_accrual (payable, p->bonus_spent, 10000, p->bonus_multiplier)
      || (p->customer_id == NULL && p->bonus_earned > 0))
    return reject (a, "inconsistent", "bonus_earned",
                   _ ("The bonuses earned are more than this sale can earn")),
           NULL;

  /* The discounts applied: of rules HQ knows, adding up to the discount,
   * and where the till says how each shared itself among the lines (all
   * or none), adding up on each line. The budget spent is of the rule's
   * campaign here. */
  for (guint i = 0; apps != NULL && i < json_array_get_length (apps); i++)
    {
      JsonNode        *item = json_array_get_element (apps, i);
      g_autofree char *field = g_strdup_printf ("applications[%u]", i);
      g_autoptr (SkDiscountApplication) app = NULL;
      g_autoptr (SkDiscountRule) rule = NULL;
      g_autofree char *id = NULL;
      JsonObject      *ao;
      const char      *rule_id;
      gint64           amount;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return reject (a, "malformed", field, _ ("Each application is an object")), NULL;
      ao = json_node_get_object (item);
      if (!member_uuid (a, ao, "id", FALSE, &id)
          || !member_string (a, ao, "rule_id", TRUE, &rule_id)
          || !member_int (a, ao, "amount", TRUE, 0, &amount))
        return NULL;
      if (amount < 0 || amount > p->discount_total)
        return reject (a, "inconsistent", field, _ ("A discount applied is out of range")), NULL;
      applied += amount;
      rule = sk_database_get_rule (c->db, rule_id, NULL);
      if (rule == NULL)
        return reject (a, "unknown_rule", field, _ ("There is no rule %s"), rule_id), NULL;
      c->limited |= rule->usage_limit_total > 0 || rule->usage_limit_per_customer > 0
                    || rule->campaign_id != NULL;
      app = g_object_new (SK_TYPE_DISCOUNT_APPLICATION, NULL);
      app->id = id != NULL ? g_steal_pointer (&id) : g_uuid_string_random ();
      app->purchase_id = g_strdup (p->id);
      app->rule_id = g_strdup (rule_id);
      app->rule_name = g_strdup (rule->name);
      app->customer_id = g_strdup (p->customer_id);
      app->store_id = g_strdup (p->store_id);
      app->amount = amount;
      app->campaign_id = g_strdup (rule->campaign_id);
      app->created_at = p->created_at;
      if (!member_line_amounts (a, ao, field, p, &app->line_amounts))
        return NULL;
      lines_known += app->line_amounts != NULL;
      g_list_store_append (p->applications, app);
    }
  if (applied != p->discount_total)
    return reject (a, "inconsistent", "applications",
                   _ ("The discounts applied do not add up to the sale's discount")),
           NULL;
  if (lines_known > 0 && !sk_purchase_check_line_amounts (p, &invalid))
    return reject (a, invalid->code == SK_ERROR_MALFORMED ? "malformed" : "inconsistent",
                   sk_error_get_field (invalid), "%s", invalid->message),
           NULL;
  return g_steal_pointer (&p);
}

/* The same sale as one recorded before (another event of it, or the
 * online sale of the same id)? Compared on what the till charged. */
static gboolean
same_sale (SkPurchase *a, SkPurchase *b)
{
  GListModel *la = G_LIST_MODEL (a->lines), *lb = G_LIST_MODEL (b->lines);

  if (g_strcmp0 (a->store_id, b->store_id) != 0 || g_strcmp0 (a->customer_id, b->customer_id) != 0
      || a->subtotal != b->subtotal || a->discount_total != b->discount_total
      || a->bonus_spent != b->bonus_spent
      || g_list_model_get_n_items (la) != g_list_model_get_n_items (lb))
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (la); i++)
    {
      g_autoptr (SkPurchaseLine) x = g_list_model_get_item (la, i);
      g_autoptr (SkPurchaseLine) y = g_list_model_get_item (lb, i);

      if (x->unit_price != y->unit_price || x->quantity != y->quantity || x->discount != y->discount
          || g_strcmp0 (x->sku, y->sku) != 0)
        return FALSE;
    }
  return TRUE;
}

static JsonNode *
sale_result (SkPurchase *purchase, SkCustomer *customer)
{
  SkPurchaseResult result = { purchase, customer, FALSE };

  return sk_purchase_result_to_json (&result);
}

/* Usage limits and budgets a sale took beyond their end offline. */
static gboolean
review_limits (Apply *c, SkPurchase *p, GError **error)
{
  GListModel *apps = G_LIST_MODEL (p->applications);

  /* Nothing to take beyond its end: not a query more. */
  if (!c->limited)
    return TRUE;
  for (guint i = 0; i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, i);
      gboolean has_row = FALSE;
      SkStmt  *stmt = sk_db_query (
           c->db, error,
           "SELECT r.usage_limit_total, r.uses, r.usage_limit_per_customer,"
            " (SELECT u.uses FROM rule_customer_uses AS u WHERE u.rule_id = r.id"
            "  AND u.customer_id = ?2),"
            " k.id, k.budget, k.spent"
            " FROM discount_rules AS r LEFT JOIN campaigns AS k ON k.id = r.campaign_id"
            " WHERE r.id = ?1",
           "ss", app->rule_id, p->customer_id);

      if (stmt == NULL || !sk_db_step (c->db, stmt, &has_row, error))
        return FALSE;
      if (has_row)
        {
          gint64 limit = sk_stmt_int64 (stmt, 0), uses = sk_stmt_int64 (stmt, 1);
          gint64 per_customer = sk_stmt_int64 (stmt, 2), customer_uses = sk_stmt_int64 (stmt, 3);
          gint64 budget = sk_stmt_int64 (stmt, 5), spent = sk_stmt_int64 (stmt, 6);

          if ((limit > 0 && uses > limit) || (per_customer > 0 && customer_uses > per_customer))
            {
              JsonObject *item = review_add (c, "usage_limit_exceeded");

              json_object_set_string_member (item, "rule_id", app->rule_id);
              json_object_set_int_member (item, "uses", uses);
            }
          if (!sk_stmt_is_null (stmt, 4) && budget > 0 && spent > budget)
            {
              JsonObject *item = review_add (c, "budget_exceeded");

              json_object_set_string_member (item, "campaign_id", sk_stmt_text (stmt, 4));
              json_object_set_int_member (item, "spent", spent);
            }
        }
      sk_stmt_reset (stmt);
    }
  return TRUE;
}

static gboolean
apply_purchase (Apply *c, JsonObject *o, SkSyncAnswer *a, GError **error)
{
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkPurchase) purchase = read_purchase (c, o, a, &customer, error);
  g_autoptr (GError) local = NULL;

  if (purchase == NULL)
    return FALSE;
  if (!sk_role_can_sell (c->pusher->role) || g_strcmp0 (purchase->store_id, c->store->id) != 0)
    return reject (a, "forbidden", "store_id",
                   _ ("This device sells for its own store only; this sale is of another"));
  if (purchase->customer_id != NULL && customer == NULL)
    return reject (a, "unknown_customer", "customer_id", _ ("There is no customer %s"),
                   purchase->customer_id);

  /* The purchase's key says whether it was recorded before: not a look
   * first, the insert itself (in a savepoint, so the event can still be
   * answered). */
  if (!sk_db_begin (c->db, error))
    return FALSE;
  if (!sk_db_record_sale (c->db, purchase, NULL, NULL, c->store, customer, c->now, &local))
    {
      g_autoptr (SkPurchase) first = NULL;

      sk_db_rollback (c->db);
      if (!g_error_matches (local, SK_ERROR, SK_ERROR_CONFLICT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      first = sk_database_get_purchase (c->db, purchase->id, NULL);
      if (first == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (g_strcmp0 (first->store_id, c->store->id) != 0 || !same_sale (first, purchase))
        return reject (a, "idempotency_mismatch", "id",
                       _ ("This sale's id was used for a different sale"));
      g_clear_object (&customer);
      if (first->customer_id != NULL)
        customer = sk_database_get_customer (c->db, first->customer_id, error);
      if (first->customer_id != NULL && customer == NULL)
        return FALSE;
      a->status = SK_SYNC_DUPLICATE;
      a->first_status = SK_SYNC_APPLIED;
      a->duplicate_of = g_strdup (first->id);
      a->result = sale_result (first, customer);
      return TRUE;
    }
  /* The till that sold it: it asks for its store's sales without its own
   * (sk_database_list_sales_updated). */
  if (!sk_db_exec_pipelined (c->db, error, "UPDATE purchases SET device_id = ? WHERE id = ?", "ss",
                             c->pusher->device_id, purchase->id))
    {
      sk_db_rollback (c->db);
      return FALSE;
    }
  if (!sk_db_commit (c->db, error))
    return FALSE;

  if (customer != NULL && customer->bonus_balance < 0)
    {
      JsonObject *item = review_add (c, "negative_balance");

      json_object_set_string_member (item, "customer_id", customer->id);
      json_object_set_int_member (item, "balance", customer->bonus_balance);
    }
  if (purchase->created_at > c->now + CLOCK_AHEAD_LIMIT)
    {
      JsonObject      *item = review_add (c, "clock_ahead");
      g_autofree char *at = sk_time_to_rfc3339 (purchase->created_at);

      json_object_set_string_member (item, "purchase_id", purchase->id);
      json_object_set_string_member (item, "created_at", at);
    }
  if (!review_limits (c, purchase, error))
    return FALSE;
  a->result = sale_result (purchase, customer);
  return TRUE;
}

/* Manual bonus movements */

static gboolean
apply_bonus (Apply *c, JsonObject *o, SkSyncAnswer *a, GError **error)
{
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *id = NULL;
  g_autofree char *customer_id = NULL;
  const char      *given, *kind, *reason, *store_id, *purchase_id;
  gint64           amount, limit;
  gboolean         own = FALSE;

  if (!member_uuid (a, o, "id", TRUE, &id) || !member_string (a, o, "customer_id", TRUE, &given)
      || !resolve_customer (c, given, &customer_id, error)
      || !member_string (a, o, "kind", TRUE, &kind)
      || !member_int (a, o, "amount", TRUE, 0, &amount)
      || !member_string (a, o, "reason", FALSE, &reason)
      || !member_string (a, o, "store_id", FALSE, &store_id)
      || !member_string (a, o, "purchase_id", FALSE, &purchase_id))
    return FALSE;

  /* A till's expiry is its own view: HQ expires bonuses itself, once. */
  if (g_str_equal (kind, SK_BONUS_EXPIRE))
    {
      a->result = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (a->result, json_object_new ());
      json_object_set_string_member (json_node_get_object (a->result), "skipped",
                                     "Bonuses expire on the server, by its own setting");
      return TRUE;
    }
  if (!g_str_equal (kind, SK_BONUS_EARN) && !g_str_equal (kind, SK_BONUS_SPEND)
      && !g_str_equal (kind, SK_BONUS_ADJUST))
    return reject (a, "invalid_value", "kind",
                   _ ("A manual movement is earn, spend or adjust (sales carry their own)"));
  if (purchase_id != NULL)
    return reject (a, "invalid_value", "purchase_id",
                   _ ("A sale's bonuses come with the sale, not as a movement of their own"));
  if (amount == 0 || amount > SK_MONEY_MAX || amount < -SK_MONEY_MAX
      || (g_str_equal (kind, SK_BONUS_EARN) && amount < 0)
      || (g_str_equal (kind, SK_BONUS_SPEND) && amount > 0))
    return reject (a, "invalid_value", "amount",
                   _ ("The amount must be signed as its kind says and not zero"));
  if (sk_str_is_blank (reason))
    return reject (a, "invalid_value", "reason", _ ("Say why the bonuses are changed"));
  if (store_id != NULL && g_strcmp0 (store_id, c->store->id) != 0)
    return reject (a, "forbidden", "store_id", _ ("This device acts for its own store only"));

  /* The policy of the online movement (SPEC 5): a manager, for a customer
   * of its store, up to the server's limit; an admin, anything. */
  if (!sk_role_can_adjust_bonus (c->pusher->role))
    return reject (a, "forbidden", NULL, _ ("Bonuses are moved by hand by a manager or an admin"));
  customer = sk_database_get_customer (c->db, customer_id, NULL);
  if (customer == NULL)
    return reject (a, "unknown_customer", "customer_id", _ ("There is no customer %s"),
                   customer_id);
  limit = c->pusher->manual_bonus_limit;
  if (!(c->pusher->role & SK_ROLE_ADMIN))
    {
      if (!customer_is_local (c, customer, &own, error))
        return FALSE;
      if (!own)
        return reject (a, "forbidden", "customer_id", _ ("This customer is another store's"));
      if (limit > 0 && (amount > limit || amount < -limit))
        return reject (a, "forbidden", "amount", _ ("A movement this large needs an admin"));
    }

  /* Offline, the till's balance was the one it saw: a spend beyond HQ's
   * balance is recorded, and the customer listed. The ledger's key is the
   * till's id: a movement pushed twice is refused by it. */
  if (!sk_db_begin (c->db, error))
    return FALSE;
  tx = sk_db_ledger_append (c->db, NULL, id, customer_id, kind, amount, reason, NULL, c->store->id,
                            c->now, SK_TIME_NONE, &local);
  if (tx == NULL)
    {
      gint64 same;

      sk_db_rollback (c->db);
      if (!g_error_matches (local, SK_ERROR, SK_ERROR_CONFLICT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      same = sk_db_query_int (c->db, error, -1,
                              "SELECT count(*) FROM bonus_transactions WHERE id = ?1"
                              " AND customer_id = ?2 AND amount = ?3",
                              "ssi", id, customer_id, amount);
      if (same < 0)
        return FALSE;
      if (same == 0)
        return reject (a, "idempotency_mismatch", "id",
                       _ ("This movement's id was used for another movement"));
      a->status = SK_SYNC_DUPLICATE;
      a->first_status = SK_SYNC_APPLIED;
      a->duplicate_of = g_strdup (id);
    }
  else if (!sk_db_commit (c->db, error))
    return FALSE;

  {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    gint64 balance
        = sk_db_query_int (c->db, error, G_MININT64,
                           "SELECT bonus_balance FROM customers WHERE id = ?", "s", customer_id);

    if (balance == G_MININT64)
      return FALSE;
    json_builder_begin_object (b);
    add_string (b, "transaction_id", id);
    add_string (b, "customer_id", customer_id);
    json_builder_set_member_name (b, "balance");
    json_builder_add_int_value (b, balance);
    json_builder_end_object (b);
    a->result = json_builder_get_root (b);
    if (tx != NULL && balance < 0)
      {
        JsonObject *item = review_add (c, "negative_balance");

        json_object_set_string_member (item, "customer_id", customer_id);
        json_object_set_int_member (item, "balance", balance);
      }
  }
  return TRUE;
}

/* Customers */

/* A registration's answer: the customer, and the id it now goes by when
 * the registration was merged into another. */
static JsonNode *
merge_result (SkCustomer *customer, const char *merged_into)
{
  JsonNode *node = sk_record_to_json (SK_RECORD (customer));

  if (merged_into != NULL)
    json_object_set_string_member (json_node_get_object (node), "merged_into", merged_into);
  return node;
}

/* One person registered at two tills offline (SPEC 6): the card or phone
 * of @customer is someone's at HQ already. The first registration wins;
 * this one's id becomes its alias (the alias's events apply to it), tills
 * learn the merge from the change feed, and HQ finds it in the review list
 * with what the till registered. Refused when card and phone are two
 * different customers'. */
static gboolean
merge_registration (Apply        *c,
                    SkCustomer   *customer,
                    JsonObject   *registration,
                    const GError *conflict,
                    SkSyncAnswer *a,
                    GError      **error)
{
  g_autoptr (SkCustomer) by_card = NULL;
  g_autoptr (SkCustomer) by_phone = NULL;
  SkCustomer *holder;
  JsonObject *item;

  if (customer->card_number != NULL)
    by_card = sk_database_lookup_customer (c->db, customer->card_number, NULL);
  if (customer->phone != NULL)
    by_phone = sk_database_lookup_customer (c->db, customer->phone, NULL);
  if (by_card != NULL && by_card->card_number != NULL
      && !g_str_equal (by_card->card_number, customer->card_number))
    g_clear_object (&by_card); /* a phone that looks like the card */
  holder = by_card != NULL ? by_card : by_phone;
  if (holder == NULL)
    return reject (a, "conflict", sk_error_get_field (conflict), "%s", conflict->message);
  if (by_card != NULL && by_phone != NULL && !g_str_equal (by_card->id, by_phone->id))
    return reject (a, "conflict", "phone",
                   _ ("This card is one customer's and this phone another's: HQ decides"));

  if (!sk_db_exec (c->db, error,
                   "INSERT INTO customer_aliases (alias_id, customer_id, created_at)"
                   " VALUES (?, ?, ?)",
                   "ssi", customer->id, holder->id, c->now)
      || !sk_database_feed_merge (c->db, customer->id, holder->id, error))
    return FALSE;
  item = review_add (c, "customer_merged");
  json_object_set_string_member (item, "customer_id", holder->id);
  json_object_set_string_member (item, "alias_id", customer->id);
  json_object_set_object_member (item, "registration", json_object_ref (registration));
  a->result = merge_result (holder, holder->id);
  return TRUE;
}

static gboolean
apply_customer_create (Apply *c, JsonObject *o, SkSyncAnswer *a, GError **error)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), o);
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *id = NULL;
  gint64           created_at;

  if (!member_uuid (a, o, "id", TRUE, &id) || !member_time (a, o, "created_at", &created_at))
    return FALSE;
  customer = sk_record_from_json (SK_TYPE_CUSTOMER, node, &local);
  if (customer == NULL)
    return reject (a, "malformed", sk_error_get_field (local), "%s", local->message);
  sk_set_str (&customer->id, id);
  customer->created_at = created_at;
  if (c->pusher->role & SK_ROLES_STORE)
    {
      if (customer->home_store_id == NULL)
        customer->home_store_id = g_strdup (c->store->id);
      else if (!g_str_equal (customer->home_store_id, c->store->id))
        return reject (a, "forbidden", "home_store_id",
                       _ ("A till registers customers of its own store"));
    }
  else if (!(c->pusher->role & SK_ROLE_ADMIN))
    return reject (a, "forbidden", NULL, _ ("This account may not register customers"));

  if (!sk_database_create_customer (c->db, customer, &local))
    {
      g_autoptr (SkCustomer) first = NULL;
      g_autofree char *survivor = NULL;

      if (!g_error_matches (local, SK_ERROR, SK_ERROR_CONFLICT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      /* The same registration pushed again under another event: its
       * first answer (the customer, or the one it was merged into). */
      if (!resolve_customer (c, id, &survivor, error))
        return FALSE;
      first = sk_database_get_customer (c->db, survivor, NULL);
      if (first != NULL)
        {
          a->status = SK_SYNC_DUPLICATE;
          a->first_status = SK_SYNC_APPLIED;
          a->duplicate_of = g_strdup (id);
          a->result = merge_result (first, g_str_equal (survivor, id) ? NULL : survivor);
          return TRUE;
        }
      return merge_registration (c, customer, o, local, a, error);
    }
  a->result = sk_record_to_json (SK_RECORD (customer));
  return TRUE;
}

/* The fields a till edits, merged one by one (consent and children each as
 * one). */
static const char *const merged_fields[] = {
  "card_number", "phone",         "email",   "full_name",
  "birth_date",  "home_store_id", "consent", "children",
};

static gboolean
nodes_equal (JsonNode *x, JsonNode *y)
{
  gboolean x_null = x == NULL || JSON_NODE_HOLDS_NULL (x);
  gboolean y_null = y == NULL || JSON_NODE_HOLDS_NULL (y);

  if (x_null || y_null)
    return x_null == y_null;
  return json_node_equal (x, y);
}

/* A customer edited offline: each field the till changed from the value it
 * saw ("base", or HQ's version before the till's edit) is taken, unless HQ
 * changed it too meanwhile: then HQ's value stays and the conflict is
 * listed, both values in it. */
static gboolean
apply_customer_update (Apply *c, JsonObject *o, SkSyncAnswer *a, GError **error)
{
  g_autoptr (SkCustomer) stored = NULL;
  g_autoptr (JsonNode) hq_node = NULL;
  g_autoptr (JsonObject) changes = json_object_new ();
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *given = NULL;
  g_autofree char *id = NULL;
  JsonObject      *hq, *base = NULL;
  JsonNode        *base_node;
  gint64           till_version;
  gboolean         own = FALSE, hq_untouched;
  guint            n_conflicts = 0;

  if (!member_uuid (a, o, "id", TRUE, &given) || !resolve_customer (c, given, &id, error)
      || !member_int (a, o, "version", FALSE, 0, &till_version))
    return FALSE;
  base_node = json_object_get_member (o, "base");
  if (base_node != NULL && !JSON_NODE_HOLDS_NULL (base_node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (base_node))
        return reject (a, "malformed", "base", _ ("“base” holds the values the till saw"));
      base = json_node_get_object (base_node);
    }
  if (!(c->pusher->role & (SK_ROLE_ADMIN | SK_ROLE_MANAGER)))
    return reject (a, "forbidden", NULL, _ ("Customers are edited by a manager or an admin"));
  stored = sk_database_get_customer (c->db, id, NULL);
  if (stored == NULL)
    return reject (a, "unknown_customer", "id", _ ("There is no customer %s"), id);
  if (c->pusher->role & SK_ROLE_MANAGER)
    {
      if (!customer_is_local (c, stored, &own, error))
        return FALSE;
      if (!own)
        return reject (a, "forbidden", "id", _ ("This customer is another store's"));
    }

  hq_node = sk_record_to_json (SK_RECORD (stored));
  hq = json_node_get_object (hq_node);
  /* Without the values it saw, the till's edit was made on HQ's version
   * one below its own; HQ untouched since, everything the till changed is
   * taken. */
  hq_untouched = g_str_equal (given, id) && till_version > 1 && stored->version == till_version - 1;
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (merged_fields); i++)
    {
      const char *name = merged_fields[i];
      JsonNode   *till = json_object_get_member (o, name);
      JsonNode   *now = json_object_get_member (hq, name);
      gboolean    till_changed, hq_changed;

      if (till == NULL)
        continue;
      if (base != NULL && json_object_has_member (base, name))
        {
          JsonNode *was = json_object_get_member (base, name);

          till_changed = !nodes_equal (till, was);
          hq_changed = !nodes_equal (now, was);
        }
      else
        {
          till_changed = !nodes_equal (till, now);
          hq_changed = !hq_untouched;
        }
      if (!till_changed || nodes_equal (till, now))
        continue;
      if (!hq_changed)
        {
          json_object_set_member (changes, name, json_node_copy (till));
          continue;
        }
      n_conflicts++;
      json_builder_begin_object (b);
      add_string (b, "type", "field_conflict");
      add_string (b, "customer_id", id);
      add_string (b, "field", name);
      json_builder_set_member_name (b, "hq");
      json_builder_add_value (b,
                              now != NULL ? json_node_copy (now) : json_node_new (JSON_NODE_NULL));
      json_builder_set_member_name (b, "till");
      json_builder_add_value (b, json_node_copy (till));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (json_object_get_size (changes) > 0)
    {
      const char *home = NULL;

      if (json_object_has_member (changes, "home_store_id"))
        {
          JsonNode *node = json_object_get_member (changes, "home_store_id");

          home = node_is (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
          if ((c->pusher->role & SK_ROLE_MANAGER) && g_strcmp0 (home, c->store->id) != 0)
            return reject (a, "forbidden", "home_store_id",
                           _ ("A till keeps its customers in its own store"));
        }
      if (!sk_record_update_from_json (SK_RECORD (stored), changes, &local))
        return reject (a, "malformed", sk_error_get_field (local), "%s", local->message);
      if (!sk_database_update_customer (c->db, stored, &local))
        {
          if (local->domain == SK_ERROR && local->code != SK_ERROR_DATABASE)
            return reject (a, sk_error_code_to_string (local->code), sk_error_get_field (local),
                           "%s", local->message);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }

  {
    g_autoptr (JsonNode) conflicts = json_builder_get_root (b);
    JsonArray *list = json_node_get_array (conflicts);
    g_autoptr (JsonBuilder) r = json_builder_new ();

    for (guint i = 0; i < n_conflicts; i++)
      json_array_add_element (c->review, json_node_copy (json_array_get_element (list, i)));
    json_builder_begin_object (r);
    json_builder_set_member_name (r, "customer");
    sk_record_build_json (SK_RECORD (stored), r);
    json_builder_set_member_name (r, "conflicts");
    json_builder_add_value (r, json_node_copy (conflicts));
    json_builder_end_object (r);
    a->result = json_builder_get_root (r);
  }
  return TRUE;
}

/* Refunds */

static gboolean
apply_refund (Apply *c, JsonObject *o, SkSyncAnswer *a, GError **error)
{
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (SkPurchase) refunded = NULL;
  g_autoptr (GArray) lines = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *id = NULL;
  g_autofree char *purchase_id = NULL;
  JsonNode        *node;
  gint64           amount, recorded, known;

  if (!member_uuid (a, o, "id", TRUE, &id) || !member_uuid (a, o, "purchase_id", TRUE, &purchase_id)
      || !member_int (a, o, "amount", FALSE, -1, &amount))
    return FALSE;
  node = json_object_get_member (o, "lines");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node)
          || json_array_get_length (json_node_get_array (node)) > SK_SYNC_MAX_LINES)
        return reject (a, "malformed", "lines", _ ("“lines” lists {line_no, quantity}"));
      array = json_node_get_array (node);
      lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode    *item = json_array_get_element (array, i);
          SkRefundLine line = { 0, 0 };

          if (!JSON_NODE_HOLDS_OBJECT (item)
              || !member_int (a, json_node_get_object (item), "line_no", TRUE, 0, &line.line_no)
              || !member_int (a, json_node_get_object (item), "quantity", TRUE, 0, &line.quantity))
            {
              g_autofree char *field = g_strdup_printf ("lines[%u]", i);

              return reject (a, "malformed", field,
                             _ ("Each line is {line_no, quantity} with whole numbers"));
            }
          g_array_append_val (lines, line);
        }
    }
  if (!(c->pusher->role & (SK_ROLE_ADMIN | SK_ROLE_MANAGER)))
    return reject (a, "forbidden", NULL, _ ("Refunds are made by a manager or an admin"));
  purchase = sk_database_get_purchase (c->db, purchase_id, NULL);
  if (purchase == NULL)
    return reject (a, "unknown_purchase", "purchase_id", _ ("There is no sale %s"), purchase_id);
  if (g_strcmp0 (purchase->store_id, c->store->id) != 0)
    return reject (a, "forbidden", "purchase_id", _ ("This sale is another store's"));

  /* Idempotent by the refund's id (the refunds' key). */
  known = sk_db_query_int (c->db, error, -1, "SELECT count(*) FROM refunds WHERE id = ?", "s", id);
  if (known < 0)
    return FALSE;
  refunded = sk_database_refund_purchase (c->db, id, purchase_id, lines, &local);
  if (refunded == NULL)
    {
      if (local->domain == SK_ERROR && local->code != SK_ERROR_DATABASE)
        return reject (a, sk_error_code_to_string (local->code), sk_error_get_field (local), "%s",
                       local->message);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  recorded = sk_db_query_int (c->db, error, -1, "SELECT amount FROM refunds WHERE id = ?", "s", id);
  if (recorded < 0)
    return FALSE;
  if (amount >= 0 && amount != recorded)
    {
      JsonObject *item = review_add (c, "refund_differs");

      json_object_set_string_member (item, "refund_id", id);
      json_object_set_int_member (item, "till_amount", amount);
      json_object_set_int_member (item, "amount", recorded);
    }
  /* Bonuses the sale earned, spent since and taken back by the return. */
  if (known == 0 && refunded->customer_id != NULL)
    {
      gint64 balance = sk_db_query_int (c->db, error, G_MININT64,
                                        "SELECT bonus_balance FROM customers WHERE id = ?", "s",
                                        refunded->customer_id);

      if (balance == G_MININT64)
        return FALSE;
      if (balance < 0)
        {
          JsonObject *item = review_add (c, "negative_balance");

          json_object_set_string_member (item, "customer_id", refunded->customer_id);
          json_object_set_int_member (item, "balance", balance);
        }
    }
  a->result = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (a->result, json_object_new ());
  json_object_set_int_member (json_node_get_object (a->result), "amount", recorded);
  json_object_set_member (json_node_get_object (a->result), "purchase",
                          sk_record_to_json (SK_RECORD (refunded)));
  return TRUE;
}

/* A receipt a till queued for e-mail: HQ, which delivers, queues it again
 * from its own records of the sale (pushed before it) and checks the
 * customer's consent as HQ knows it; once per sale however often. */
static gboolean
apply_notification (Apply *c, JsonObject *o, SkSyncAnswer *a, GError **error)
{
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *id = NULL;

  if (!member_uuid (a, o, "purchase_id", TRUE, &id))
    return FALSE;
  purchase = sk_database_get_purchase (c->db, id, &local);
  if (purchase == NULL && g_error_matches (local, SK_ERROR, SK_ERROR_NOT_FOUND))
    return reject (a, "unknown_purchase", "purchase_id", _ ("There is no sale %s"), id);
  if (purchase == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!sk_role_can_sell (c->pusher->role) || g_strcmp0 (purchase->store_id, c->store->id) != 0)
    return reject (a, "forbidden", "purchase_id",
                   _ ("This device sends the receipts of its own store's sales only"));
  return sk_db_queue_receipt (c->db, id, c->now, FALSE, NULL, error);
}

static const struct
{
  const char *kind;
  gboolean (*apply) (Apply *c, JsonObject *payload, SkSyncAnswer *a, GError **error);
} kinds[] = {
  { SK_SYNC_KIND_PURCHASE, apply_purchase },
  { SK_SYNC_KIND_REFUND, apply_refund },
  { SK_SYNC_KIND_BONUS, apply_bonus },
  { SK_SYNC_KIND_CUSTOMER_CREATE, apply_customer_create },
  { SK_SYNC_KIND_CUSTOMER_UPDATE, apply_customer_update },
  { SK_SYNC_KIND_NOTIFICATION, apply_notification },
};

/* Is @error the database refusing what the event says (a rejection), not
 * the database failing? */
static gboolean
is_refusal (const GError *error)
{
  return error != NULL && error->domain == SK_ERROR && error->code != SK_ERROR_DATABASE
         && error->code != SK_ERROR_SCHEMA_TOO_NEW;
}

/* Applies the event in a savepoint: FALSE only when the database failed;
 * a rejection rolls back whatever the event did and answers it. */
static gboolean
apply_event (Apply *c, SkSyncAnswer *a, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean (*apply) (Apply *, JsonObject *, SkSyncAnswer *, GError **) = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (kinds) && apply == NULL; i++)
    if (g_str_equal (kinds[i].kind, c->event->kind))
      apply = kinds[i].apply;
  if (apply == NULL
      && (g_str_has_prefix (c->event->kind, "store.") || g_str_has_prefix (c->event->kind, "rule.")
          || g_str_has_prefix (c->event->kind, "campaign.")
          || g_str_has_prefix (c->event->kind, "product.")))
    return reject (a, "hq_only", "kind",
                   _ ("Stores, rules, campaigns and products are edited at HQ; a till's edit"
                      " is kept for review, not applied")),
           TRUE;
  if (apply == NULL)
    return reject (a, "unknown_kind", "kind", _ ("No event of kind “%s” is known here"),
                   c->event->kind),
           TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (c->event->payload))
    return reject (a, "malformed", "payload", _ ("The event's payload must be an object")), TRUE;

  if (!sk_db_begin (c->db, error))
    return FALSE;
  if (apply (c, json_node_get_object (c->event->payload), a, &local))
    return sk_db_commit (c->db, error);
  sk_db_rollback (c->db);
  /* What the event did is gone, and what HQ was told to look at with it. */
  json_array_unref (c->review);
  c->review = json_array_new ();
  g_clear_pointer (&a->result, json_node_unref);
  if (a->status == SK_SYNC_REJECTED)
    return TRUE;
  if (is_refusal (local))
    return reject (a, sk_error_code_to_string (local->code), sk_error_get_field (local), "%s",
                   local->message),
           TRUE;
  if (local == NULL)
    sk_set_field_error (&local, SK_ERROR_DATABASE, NULL, "%s",
                        _ ("The event could not be applied"));
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static SkSyncAnswer *
answer_new (const SkSyncEvent *event)
{
  SkSyncAnswer *a = g_new0 (SkSyncAnswer, 1);

  a->id = g_strdup (event->id);
  a->seq = event->seq;
  a->status = SK_SYNC_APPLIED;
  return a;
}

/* The answer of an event recorded before: NULL and no error if it was not;
 * *other when it was, but as another device's or sequence's event. If it
 * was not, *seq_taken when the device recorded another event under its
 * sequence number. */
static SkSyncAnswer *
recorded_answer (SkDatabase        *self,
                 const char        *device_id,
                 const SkSyncEvent *event,
                 gboolean          *other,
                 gboolean          *seq_taken,
                 GError           **error)
{
  g_autoptr (SkSyncAnswer) a = answer_new (event);
  gboolean has_row = FALSE, same = FALSE;
  SkStmt  *stmt
      = sk_db_query (self, error,
                     "SELECT id, device_id, seq, status, result, code, message, field, duplicate_of"
                     " FROM sync_events WHERE id = ?1 OR (device_id = ?2 AND seq = ?3)"
                     " ORDER BY id = ?1 DESC LIMIT 1",
                     "ssi", event->id, device_id, event->seq);

  *other = *seq_taken = FALSE;
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return NULL;
  same = has_row && g_strcmp0 (sk_stmt_text (stmt, 0), event->id) == 0;
  *seq_taken = has_row && !same;
  if (same)
    {
      *other = g_strcmp0 (sk_stmt_text (stmt, 1), device_id) != 0
               || sk_stmt_int64 (stmt, 2) != event->seq;
      a->status = SK_SYNC_DUPLICATE;
      a->first_status = status_from_string (sk_stmt_text (stmt, 3));
      if (!sk_stmt_is_null (stmt, 4))
        a->result = sk_json_parse (sk_stmt_text (stmt, 4), -1, NULL);
      a->code = g_strdup (sk_stmt_text (stmt, 5));
      a->message = g_strdup (sk_stmt_text (stmt, 6));
      a->field = g_strdup (sk_stmt_text (stmt, 7));
      a->duplicate_of = g_strdup (sk_stmt_is_null (stmt, 8) ? event->id : sk_stmt_text (stmt, 8));
    }
  sk_stmt_reset (stmt);
  return same ? g_steal_pointer (&a) : NULL;
}

/* Review */

static gboolean
insert_review (SkDatabase        *self,
               const char        *store_id,
               const char        *device_id,
               const SkSyncEvent *event,
               const char        *kind,
               const char        *customer_id,
               JsonNode          *details,
               gint64             now,
               GError           **error)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *text = sk_json_to_string (details, FALSE);

  return sk_db_exec (self, error,
                     "INSERT INTO sync_reviews (id, event_id, device_id, store_id, kind,"
                     " customer_id, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     "sssssssi", id, event->id, device_id, store_id, kind, customer_id, text, now);
}

static const char *
object_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node_is (node, G_TYPE_STRING) && strlen (json_node_get_string (node)) <= MAX_TEXT
             ? json_node_get_string (node)
             : NULL;
}

/* What HQ should look at of the event answered @a, a row an item, in the
 * event's transaction: the rejection, or each item of its review. */
static gboolean
record_review (SkDatabase         *self,
               const char         *store_id,
               const char         *device_id,
               const SkSyncEvent  *event,
               const SkSyncAnswer *a,
               gint64              now,
               GError            **error)
{
  if (a->status == SK_SYNC_REJECTED)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) details = NULL;
      JsonObject *payload
          = JSON_NODE_HOLDS_OBJECT (event->payload) ? json_node_get_object (event->payload) : NULL;

      json_builder_begin_object (b);
      add_string (b, "code", a->code);
      add_string (b, "message", a->message);
      add_string (b, "field", a->field);
      add_string (b, "payload_id", object_string (payload, "id"));
      json_builder_end_object (b);
      details = json_builder_get_root (b);
      return insert_review (self, store_id, device_id, event, "rejected_event",
                            object_string (payload, "customer_id"), details, now, error);
    }
  if (a->review == NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (a->review)); i++)
    {
      JsonNode   *item = json_array_get_element (json_node_get_array (a->review), i);
      JsonObject *object = json_node_get_object (item);
      const char *kind = object_string (object, "type");

      if (!insert_review (self, store_id, device_id, event, kind ? kind : "other",
                          object_string (object, "customer_id"), item, now, error))
        return FALSE;
    }
  return TRUE;
}

/* The device's sequence acknowledged up to @seq; *acked_seq, from what
 * its locked row said, the highest. Sent with the commit. */
static gboolean
acknowledge (SkDatabase *self,
             const char *device_id,
             gint64      seq,
             gint64      now,
             gint64     *acked_seq,
             GError    **error)
{
  *acked_seq = MAX (*acked_seq, seq);
  return sk_db_exec_pipelined (self, error,
                               "UPDATE devices SET acked_seq = ?1, last_seen_at = ?2 WHERE id = ?3",
                               "iis", *acked_seq, now, device_id);
}

SkSyncAnswer *
sk_database_sync_apply (SkDatabase         *self,
                        const SkSyncPusher *pusher,
                        SkStore            *store,
                        const SkSyncEvent  *event,
                        gint64             *acked_seq,
                        GError            **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (pusher != NULL && pusher->device_id != NULL, NULL);
  g_return_val_if_fail (SK_IS_STORE (store) && event != NULL && event->id != NULL, NULL);

  /* Twice at most: the second time, an event another writer recorded
   * between our look and our insert is found. */
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr (SkSyncAnswer) a = NULL;
      g_autoptr (GError) local = NULL;
      g_autofree char *result = NULL;
      g_autofree char *review = NULL;
      Apply            c = { self, pusher, store, event, 0, NULL, FALSE, NULL, NULL };
      gboolean         other = FALSE, seq_taken = FALSE, has_row = FALSE;
      SkStmt          *device;

      /* A sale beside other tills' sales, locking the rows it shares with
       * them: its device first (the same event pushed twice at once is
       * looked up after the first is recorded), then sk_db_record_sale's;
       * other events alone. */
      if (!(g_str_equal (event->kind, SK_SYNC_KIND_PURCHASE) ? sk_db_begin_concurrent (self, error)
                                                             : sk_db_begin (self, error)))
        return NULL;
      device = sk_db_lock_device (self, pusher->device_id, error);
      if (device == NULL)
        goto fail;
      c.now = sk_time_now ();
      /* A sale's customer is read in the same round trip. */
      if (g_str_equal (event->kind, SK_SYNC_KIND_PURCHASE)
          && JSON_NODE_HOLDS_OBJECT (event->payload))
        c.customer_id = object_string (json_node_get_object (event->payload), "customer_id");
      if (c.customer_id != NULL
          && (c.customer = sk_db_send_customer_or_survivor (self, c.customer_id, error)) == NULL)
        goto fail;

      /* Pushed before: the first answer, nothing applied again. Looked up
       * once the device is locked, in the same round trip. */
      a = recorded_answer (self, pusher->device_id, event, &other, &seq_taken, error);
      if (a == NULL && error != NULL && *error != NULL)
        goto fail;
      if (!sk_db_step (self, device, &has_row, error))
        goto fail;
      *acked_seq = has_row ? sk_stmt_int64 (device, 0) : 0;
      sk_stmt_reset (device);
      if (a != NULL && other)
        {
          g_clear_pointer (&a, sk_sync_answer_free);
          a = answer_new (event);
          reject (a, "idempotency_mismatch", "id",
                  _ ("This event id was pushed before as another event"));
        }
      if (a == NULL && seq_taken)
        {
          a = answer_new (event);
          reject (a, "sequence_reused", "seq",
                  _ ("This device pushed another event under this sequence number"));
        }
      if (a != NULL)
        {
          /* Acknowledged, whatever it was, so the queue moves on. */
          if (!acknowledge (self, pusher->device_id, event->seq, c.now, acked_seq, error))
            goto fail;
          if (!sk_db_commit (self, error))
            return NULL;
          return g_steal_pointer (&a);
        }

      a = answer_new (event);
      c.review = json_array_new ();
      if (!apply_event (&c, a, error))
        {
          json_array_unref (c.review);
          goto fail;
        }
      if (json_array_get_length (c.review) > 0)
        {
          a->review = json_node_init_array (json_node_alloc (), c.review);
          review = sk_json_to_string (a->review, FALSE);
        }
      json_array_unref (c.review);
      if (a->result != NULL)
        result = sk_json_to_string (a->result, FALSE);

      /* The event's key and the device's sequence: a second writer of the
       * same event fails here, whatever it looked at before (on PostgreSQL
       * at the commit, which the insert goes with). */
      if (sk_db_exec_pipelined (
              self, &local,
              "INSERT INTO sync_events (id, device_id, seq, kind, status, duplicate_of,"
              " result, code, message, field, review, user_id, created_at, received_at)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              "ssisssssssssii", event->id, pusher->device_id, event->seq, event->kind,
              sk_sync_status_to_string (a->status), a->duplicate_of, result, a->code, a->message,
              a->field, review, pusher->user_id, event->created_at, c.now)
          && record_review (self, store->id, pusher->device_id, event, a, c.now, &local)
          && acknowledge (self, pusher->device_id, event->seq, c.now, acked_seq, &local))
        {
          /* A commit that fails rolls back. */
          if (sk_db_commit (self, &local))
            return g_steal_pointer (&a);
        }
      else
        sk_db_rollback (self);
      if (g_error_matches (local, SK_ERROR, SK_ERROR_CONFLICT) && attempt == 0)
        continue;
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;

    fail:
      sk_db_rollback (self);
      return NULL;
    }
  sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s",
                      _ ("The event was recorded and not found again"));
  return NULL;
}

/* Devices */

gboolean
sk_database_sync_device (SkDatabase         *self,
                         const SkSyncPusher *pusher,
                         const char         *store_id,
                         char              **bound_store_id,
                         gint64             *acked_seq,
                         GError            **error)
{
  const char      *want = NULL;
  g_autofree char *bound = NULL;
  gboolean         has_row = FALSE;
  gint64           now;
  SkStmt          *stmt;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (pusher != NULL && pusher->device_id != NULL, FALSE);

  if (!g_uuid_string_is_valid (pusher->device_id))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "device_id", _ ("A device id is a UUID"));
      return FALSE;
    }
  if (pusher->role & SK_ROLES_STORE)
    {
      if (store_id != NULL && g_strcmp0 (store_id, pusher->user_store_id) != 0)
        {
          sk_set_field_error (error, SK_ERROR_FORBIDDEN, "store_id",
                              _ ("You may push only for your own store"));
          return FALSE;
        }
      want = pusher->user_store_id;
    }
  else if (pusher->role & SK_ROLE_ADMIN)
    want = store_id;
  else
    {
      sk_set_field_error (error, SK_ERROR_FORBIDDEN, NULL,
                          _ ("Tills push with an account of their store (or an admin's)"));
      return FALSE;
    }

  /* Beside other tills' sales: it writes only the device's own row. */
  if (!sk_db_begin_concurrent (self, error))
    return FALSE;
  now = sk_time_now ();
  for (guint attempt = 0; attempt < 2 && bound == NULL; attempt++)
    {
      stmt = sk_db_query (self, error, "SELECT store_id, acked_seq FROM devices WHERE id = ?", "s",
                          pusher->device_id);
      if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
        goto fail;
      if (has_row)
        {
          bound = g_strdup (sk_stmt_text (stmt, 0));
          *acked_seq = sk_stmt_int64 (stmt, 1);
        }
      sk_stmt_reset (stmt);
      if (bound != NULL || attempt > 0)
        break;

      /* The first push binds it, to the store of the account that pushes. */
      if (want == NULL)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "store_id",
                              _ ("A device's first push names its store (store_id)"));
          goto fail;
        }
      if (sk_db_query_int (self, error, 0, "SELECT count(*) FROM stores WHERE id = ?", "s", want)
          == 0)
        {
          if (error == NULL || *error == NULL)
            sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _ ("There is no store %s"),
                                want);
          goto fail;
        }
      if (!sk_db_exec (self, error,
                       "INSERT INTO devices (id, store_id, user_id, app_version, acked_seq,"
                       " created_at, last_seen_at) VALUES (?, ?, ?, ?, 0, ?, ?)"
                       " ON CONFLICT (id) DO NOTHING",
                       "ssssii", pusher->device_id, want, pusher->user_id, pusher->app_version, now,
                       now))
        goto fail;
    }
  if (bound == NULL)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s", _ ("The device was not recorded"));
      goto fail;
    }
  if (want != NULL && !g_str_equal (want, bound))
    {
      sk_set_field_error (error, SK_ERROR_FORBIDDEN, "device_id",
                          _ ("This device is bound to another store"));
      goto fail;
    }
  if (!sk_db_exec (self, error,
                   "UPDATE devices SET user_id = ?, app_version = COALESCE (?, app_version),"
                   " last_seen_at = ? WHERE id = ?",
                   "ssis", pusher->user_id, pusher->app_version, now, pusher->device_id))
    goto fail;
  /* A failed commit rolls back by itself. */
  if (!sk_db_commit (self, error))
    return FALSE;
  if (bound_store_id != NULL)
    *bound_store_id = g_steal_pointer (&bound);
  return TRUE;

fail:
  sk_db_rollback (self);
  return FALSE;
}

/* What HQ looks at (the review list), and the devices */

/* A cursor of a page newest first: "created_at:id" of the last row given. */
static gboolean
parse_cursor (const char *cursor, gint64 *before, const char **before_id, GError **error)
{
  const char      *colon = cursor != NULL ? strchr (cursor, ':') : NULL;
  g_autofree char *time = colon != NULL ? g_strndup (cursor, colon - cursor) : NULL;

  *before = G_MAXINT64;
  *before_id = "";
  if (cursor == NULL)
    return TRUE;
  if (time == NULL || !g_ascii_string_to_signed (time, 10, 0, G_MAXINT64, before, NULL)
      || !g_uuid_string_is_valid (colon + 1))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "cursor", _ ("The cursor is not valid"));
      return FALSE;
    }
  *before_id = colon + 1;
  return TRUE;
}

static void
add_time (JsonBuilder *b, const char *name, SkStmt *stmt, int col)
{
  g_autofree char *text
      = sk_stmt_is_null (stmt, col) ? NULL : sk_time_to_rfc3339 (sk_stmt_int64 (stmt, col));

  add_string (b, name, text);
}

static void
add_column (JsonBuilder *b, const char *name, SkStmt *stmt, int col)
{
  add_string (b, name, sk_stmt_is_null (stmt, col) ? NULL : sk_stmt_text (stmt, col));
}

#define REVIEW_COLUMNS                                                                             \
  "r.id, r.kind, r.store_id, r.device_id, r.event_id, e.kind, e.seq, r.customer_id, r.details,"    \
  " r.created_at, r.resolved_at, r.resolved_by, u.username"                                        \
  " FROM sync_reviews AS r JOIN sync_events AS e ON e.id = r.event_id"                             \
  " LEFT JOIN users AS u ON u.id = r.resolved_by"

static JsonNode *
review_from_row (SkStmt *stmt)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  JsonNode *details = sk_json_parse (sk_stmt_text (stmt, 8), -1, NULL);

  json_builder_begin_object (b);
  add_column (b, "id", stmt, 0);
  add_column (b, "kind", stmt, 1);
  add_column (b, "store_id", stmt, 2);
  add_column (b, "device_id", stmt, 3);
  add_column (b, "event_id", stmt, 4);
  add_column (b, "event_kind", stmt, 5);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, sk_stmt_int64 (stmt, 6));
  add_column (b, "customer_id", stmt, 7);
  json_builder_set_member_name (b, "details");
  json_builder_add_value (b, details != NULL ? details : json_node_new (JSON_NODE_NULL));
  add_time (b, "created_at", stmt, 9);
  json_builder_set_member_name (b, "resolved");
  json_builder_add_boolean_value (b, !sk_stmt_is_null (stmt, 10));
  add_time (b, "resolved_at", stmt, 10);
  add_column (b, "resolved_by", stmt, 11);
  add_column (b, "resolved_by_username", stmt, 12);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* A page of JSON objects, newest first by (created_at, id): @sql selects
 * after ?1, ?2, LIMIT ?3, with @filter as ?4 and @flag as ?5; column
 * @time_col is created_at, column 0 the id. */
static GPtrArray *
query_json_page (SkDatabase *self,
                 const char *sql,
                 const char *filter,
                 gint64      flag,
                 int         time_col,
                 JsonNode *(*from_row) (SkStmt *stmt),
                 const char *cursor,
                 guint       limit,
                 char      **next_cursor,
                 GError    **error)
{
  g_autoptr (GPtrArray) page = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  g_autofree char *last_id = NULL;
  const char      *before_id;
  gint64           before, last_time = 0;
  gboolean         has_row = FALSE;
  SkStmt          *stmt;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (limit > 0 && next_cursor != NULL, NULL);

  *next_cursor = NULL;
  if (!parse_cursor (cursor, &before, &before_id, error))
    return NULL;
  /* One row more than asked tells whether there is a next page. */
  stmt = sk_db_query (self, error, sql, "isisi", before, before_id, (gint64)limit + 1,
                      filter ? filter : "", flag);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (self, stmt, &has_row, error) && has_row)
    {
      if (page->len == limit)
        {
          *next_cursor = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", last_time, last_id);
          break;
        }
      g_free (last_id);
      last_id = g_strdup (sk_stmt_text (stmt, 0));
      last_time = sk_stmt_int64 (stmt, time_col);
      g_ptr_array_add (page, from_row (stmt));
    }
  sk_stmt_reset (stmt);
  if (error != NULL && *error != NULL)
    {
      g_clear_pointer (next_cursor, g_free);
      return NULL;
    }
  return g_steal_pointer (&page);
}

GPtrArray *
sk_database_sync_review_page (SkDatabase *self,
                              const char *store_id,
                              gboolean    resolved,
                              const char *cursor,
                              guint       limit,
                              char      **next_cursor,
                              GError    **error)
{
  return query_json_page (
      self,
      "SELECT " REVIEW_COLUMNS " WHERE (r.created_at < ?1 OR (r.created_at = ?1 AND r.id < ?2))"
      " AND (?4 = '' OR r.store_id = ?4)"
      " AND (CASE WHEN r.resolved_at IS NULL THEN 0 ELSE 1 END) = ?5"
      " ORDER BY r.created_at DESC, r.id DESC LIMIT ?3",
      store_id, resolved ? 1 : 0, 9, review_from_row, cursor, limit, next_cursor, error);
}

JsonNode *
sk_database_sync_review_get (SkDatabase *self, const char *id, GError **error)
{
  JsonNode *item = NULL;
  gboolean  has_row = FALSE;
  SkStmt   *stmt;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  stmt = sk_db_query (self, error, "SELECT " REVIEW_COLUMNS " WHERE r.id = ?", "s", id);
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return NULL;
  if (has_row)
    item = review_from_row (stmt);
  else
    sk_set_field_error (error, SK_ERROR_NOT_FOUND, NULL, _ ("There is no review item %s"), id);
  sk_stmt_reset (stmt);
  return item;
}

JsonNode *
sk_database_sync_review_resolve (SkDatabase *self,
                                 const char *id,
                                 const char *user_id,
                                 GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  /* Resolved once: again keeps who resolved it and when. */
  if (!sk_db_exec (self, error,
                   "UPDATE sync_reviews SET resolved_at = ?, resolved_by = ?"
                   " WHERE id = ? AND resolved_at IS NULL",
                   "iss", sk_time_now (), user_id, id))
    return NULL;
  return sk_database_sync_review_get (self, id, error);
}

static JsonNode *
device_from_row (SkStmt *stmt)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_column (b, "id", stmt, 0);
  add_column (b, "store_id", stmt, 1);
  add_column (b, "user_id", stmt, 2);
  add_column (b, "username", stmt, 3);
  add_column (b, "app_version", stmt, 4);
  json_builder_set_member_name (b, "acked_seq");
  json_builder_add_int_value (b, sk_stmt_int64 (stmt, 5));
  add_time (b, "created_at", stmt, 6);
  add_time (b, "last_seen_at", stmt, 7);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

GPtrArray *
sk_database_sync_devices_page (SkDatabase *self,
                               const char *store_id,
                               const char *cursor,
                               guint       limit,
                               char      **next_cursor,
                               GError    **error)
{
  return query_json_page (self,
                          "SELECT d.id, d.store_id, d.user_id, u.username, d.app_version,"
                          " d.acked_seq, d.created_at, d.last_seen_at"
                          " FROM devices AS d LEFT JOIN users AS u ON u.id = d.user_id"
                          " WHERE (d.created_at < ?1 OR (d.created_at = ?1 AND d.id < ?2))"
                          " AND (?4 = '' OR d.store_id = ?4) AND ?5 = 0"
                          " ORDER BY d.created_at DESC, d.id DESC LIMIT ?3",
                          store_id, 0, 6, device_from_row, cursor, limit, next_cursor, error);
}
