/* fuzz-engine.c: the core's readers of outside JSON: carts, sales and every record type.
 *
 * The first byte says what the rest (a JSON document) is read as:
 *   C  a cart (sk_cart_from_json), then validated, priced by the engine
 *      against fixed rules, and answered (sk_engine_result_to_json)
 *   P  a purchase request (sk_purchase_request_from_json), its cart as C
 *   s u h l b t r a g k n d  a store, customer, child, purchase line,
 *      purchase, bonus transaction, rule, discount application, segment
 *      assignment, campaign, notification or product (sk_record_from_json)
 * Any other byte picks one of these. A record read must write itself out as
 * valid JSON that reads back into the same record (export, then import),
 * and apply onto an empty one as a partial update (PUT).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-common.h"
#include "sk-database.h"
#include "sk-error.h"

typedef struct
{
  char letter;
  GType (*get_type) (void);
} RecordKind;

static const RecordKind record_kinds[] = {
  { 's', sk_store_get_type },
  { 'u', sk_customer_get_type },
  { 'h', sk_child_get_type },
  { 'l', sk_purchase_line_get_type },
  { 'b', sk_purchase_get_type },
  { 't', sk_bonus_transaction_get_type },
  { 'r', sk_discount_rule_get_type },
  { 'a', sk_discount_application_get_type },
  { 'g', sk_segment_assignment_get_type },
  { 'k', sk_campaign_get_type },
  { 'n', sk_notification_get_type },
  { 'd', sk_product_get_type },
};

#define STORE_1 "11111111-1111-4111-8111-111111111111"
/* 2023-11-14: the rules' dates are on both sides of it. */
#define NOW ((gint64)1700000000 * G_USEC_PER_SEC)

static GPtrArray        *rules;
static GPtrArray        *campaigns;
static SkEngineCustomer *customer;

static SkDiscountRule *
rule_new (const char *id, const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = sk_json_parse (json, -1, &error);
  SkDiscountRule *rule = node ? sk_record_from_json (SK_TYPE_DISCOUNT_RULE, node, &error) : NULL;

  if (rule == NULL || !sk_discount_rule_validate (rule, &error))
    sk_fuzz_fail ("a rule of the target does not read: %s", error ? error->message : json);
  g_object_set (rule, "id", id, NULL);
  return rule;
}

/* Rules of every type and condition, so a cart meets each branch. */
static void
make_rules (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node
      = sk_json_parse ("{\"id\": \"c1\", \"name\": \"Spring\", \"status\": \"active\","
                       " \"budget\": 100000, \"spent\": 500}",
                       -1, &error);

  rules = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (rules,
                   rule_new ("r1", "{\"name\": \"Toys\", \"type\": \"percentage\", \"value\": 1000,"
                                   " \"categories\": [\"toys\"], \"priority\": 2}"));
  g_ptr_array_add (
      rules,
      rule_new ("r2", "{\"name\": \"Big cart\", \"type\": \"fixed_amount\", \"value\": 50000,"
                      " \"min_purchase\": 300000, \"max_discount\": 40000, \"stackable\": false,"
                      " \"store_ids\": [\"" STORE_1 "\"]}"));
  g_ptr_array_add (
      rules,
      rule_new ("r3", "{\"name\": \"VIP\", \"type\": \"bonus_multiplier\", \"value\": 300,"
                      " \"segments\": [\"vip\", \"regular\"], \"usage_limit_per_customer\": 2}"));
  g_ptr_array_add (
      rules, rule_new ("r4", "{\"name\": \"Once\", \"type\": \"percentage\", \"value\": 10000,"
                             " \"usage_limit_total\": 1, \"campaign_id\": \"c1\"}"));
  g_ptr_array_add (rules,
                   rule_new ("r5", "{\"name\": \"Old\", \"type\": \"fixed_amount\", \"value\": 100,"
                                   " \"valid_until\": \"2001-01-01T00:00:00Z\"}"));
  g_ptr_array_add (rules,
                   rule_new ("r6", "{\"name\": \"Off\", \"type\": \"percentage\", \"value\": 5,"
                                   " \"is_active\": false}"));
  campaigns = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (campaigns, sk_record_from_json (SK_TYPE_CAMPAIGN, node, &error));
  if (error != NULL)
    sk_fuzz_fail ("the campaign of the target does not read: %s", error->message);
  customer = sk_engine_customer_new ("u1", "regular");
  sk_engine_customer_set_uses (customer, "r3", 1);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sk_fuzz_init ();
  make_rules ();
  return 0;
}

static void
price_cart (SkCart *cart)
{
  g_autoptr (SkEngineResult) result = NULL;
  g_autoptr (SkEngineResult) available = NULL;
  g_autoptr (SkCart) empty = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) offered = NULL;

  if (!sk_cart_validate (cart, NULL))
    return;
  result = sk_discount_engine_calculate (cart, customer, rules, campaigns, NOW);
  answer = sk_engine_result_to_json (result, cart);
  sk_fuzz_check_json (answer);
  if (result->total != result->subtotal - result->discount_total || result->total < 0)
    sk_fuzz_fail ("the engine's total %" G_GINT64_FORMAT " is not the subtotal %" G_GINT64_FORMAT
                  " less the discount %" G_GINT64_FORMAT,
                  result->total, result->subtotal, result->discount_total);

  available = sk_discount_engine_available (cart->store_id, NULL, rules, campaigns, NOW);
  empty = sk_cart_new (cart->store_id);
  offered = sk_engine_result_to_json (available, empty);
  sk_fuzz_check_json (offered);
}

static void
read_record (GType type, JsonNode *node)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkRecord) record = sk_record_from_json (type, node, &error);
  g_autoptr (SkRecord) again = NULL;
  g_autoptr (SkRecord) copy = NULL;
  g_autoptr (SkRecord) updated = NULL;
  g_autoptr (JsonNode) written = NULL;
  g_autoptr (JsonNode) rewritten = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  if (record == NULL)
    {
      if (error == NULL || error->domain != SK_ERROR)
        sk_fuzz_fail ("sk_record_from_json failed without an SK_ERROR");
      return;
    }
  written = sk_record_to_json (record);
  sk_fuzz_check_json (written);
  again = sk_record_from_json (type, written, &error);
  if (again == NULL)
    sk_fuzz_fail ("a %s does not read back what it wrote: %s", g_type_name (type), error->message);
  rewritten = sk_record_to_json (again);
  text = sk_json_to_string (written, FALSE);
  text_again = sk_json_to_string (rewritten, FALSE);
  if (!g_str_equal (text, text_again))
    sk_fuzz_fail ("a %s changed on a round trip:\n%s\n%s", g_type_name (type), text, text_again);
  copy = sk_record_copy (record);
  if (copy == NULL)
    sk_fuzz_fail ("a %s does not copy", g_type_name (type));

  updated = g_object_new (type, NULL);
  if (!sk_record_update_from_json (updated, json_node_get_object (node), &error) && error == NULL)
    sk_fuzz_fail ("sk_record_update_from_json failed without an error");
  g_clear_error (&error);

  /* What saving checks before SQL sees the record. */
  if (SK_IS_DISCOUNT_RULE (record))
    sk_discount_rule_validate (SK_DISCOUNT_RULE (record), NULL);
  else if (SK_IS_CAMPAIGN (record))
    sk_campaign_validate (SK_CAMPAIGN (record), NULL);
  else if (SK_IS_CUSTOMER (record))
    {
      g_autofree char *phone = NULL;
      g_autofree char *normal = NULL;

      g_object_get (record, "phone", &phone, NULL);
      if (phone != NULL)
        normal = sk_normalize_phone (phone, NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  guchar kind;

  if (size < 1)
    return 0;
  kind = data[0];
  /* The server and the CLI refuse bodies that are not UTF-8 before parsing. */
  if (!g_utf8_validate ((const char *)data + 1, size - 1, NULL))
    return 0;
  node = sk_json_parse ((const char *)data + 1, size - 1, &error);
  if (node == NULL)
    return 0;

  if (kind == 'C' || kind == 'P')
    {
      g_autoptr (SkCart) cart = NULL;
      g_autoptr (SkPurchaseRequest) request = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return 0;
      if (kind == 'C')
        cart = sk_cart_from_json (json_node_get_object (node), &error);
      else if ((request = sk_purchase_request_from_json (json_node_get_object (node), &error))
               != NULL)
        cart = g_steal_pointer (&request->cart);
      if (cart == NULL && (error == NULL || error->domain != SK_ERROR))
        sk_fuzz_fail ("a cart failed to read without an SK_ERROR");
      if (cart != NULL)
        price_cart (cart);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (record_kinds); i++)
    if (record_kinds[i].letter == kind)
      {
        read_record (record_kinds[i].get_type (), node);
        return 0;
      }
  read_record (record_kinds[kind % G_N_ELEMENTS (record_kinds)].get_type (), node);
  return 0;
}
