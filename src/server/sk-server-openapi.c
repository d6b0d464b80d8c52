/* sk-server-openapi.c: the OpenAPI 3.0 document, made from the route table and the records' field
 * tables, so it cannot drift from what the server does. SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sk-model.h"
#include "sk-money.h"
#include "sk-server-private.h"

/* The shapes that are not records. Their money bounds are SK_MONEY_MAX and
 * SK_BALANCE_MAX, written out. */
G_STATIC_ASSERT (SK_MONEY_MAX == 1000000000000 && SK_BALANCE_MAX == SK_MONEY_MAX);
static const char fixed_schemas[]
    = "{"
      "\"Error\": {\"type\": \"object\", \"required\": [\"error\"], \"properties\": {\"error\": "
      "{\"type\": \"object\","
      "  \"required\": [\"code\", \"message\"], \"properties\": {"
      "  \"code\": {\"type\": \"string\", \"example\": \"insufficient_bonus\"},"
      "  \"message\": {\"type\": \"string\"}, \"field\": {\"type\": \"string\", \"nullable\": "
      "true}}}}},"
      "\"Any\": {\"type\": \"object\", \"additionalProperties\": true},"
      /* The change feed (sk-change-feed.h). */
      "\"SyncChange\": {\"type\": \"object\", \"required\": [\"cursor\", \"entity\", \"id\", "
      "\"op\", \"data\"], \"properties\": {"
      "  \"cursor\": {\"type\": \"string\", \"description\": \"opaque: the position just after "
      "this change\"},"
      "  \"entity\": {\"type\": \"string\", \"enum\": [\"store\", \"rule\", \"campaign\", "
      "\"product\", \"customer\", \"setting\"]},"
      "  \"id\": {\"type\": \"string\", \"description\": \"the record's id (a product's sku, "
      "a setting's key)\"},"
      "  \"op\": {\"type\": \"string\", \"enum\": [\"upsert\", \"delete\", \"merge\"]},"
      "  \"merged_into\": {\"type\": \"string\", \"description\": \"merge: the customer this "
      "id is now an alias of\"},"
      "  \"data\": {\"type\": \"object\", \"nullable\": true, \"additionalProperties\": true,"
      "    \"description\": \"the record as the REST API shows it (a setting: {key, value}; a "
      "merge: the surviving customer); null for a delete\"}}},"
      "\"SyncPull\": {\"type\": \"object\", \"required\": [\"changes\", \"next_cursor\", "
      "\"has_more\"], \"properties\": {"
      "  \"changes\": {\"type\": \"array\", \"items\": {\"$ref\": "
      "\"#/components/schemas/SyncChange\"}},"
      "  \"refs\": {\"type\": \"array\", \"items\": {\"$ref\": "
      "\"#/components/schemas/SyncChange\"}, \"description\": \"the stores and campaigns the "
      "page's customers and rules refer to, to apply before the changes (their own changes "
      "may come later)\"},"
      "  \"next_cursor\": {\"type\": \"string\", \"description\": \"opaque: pass as since; "
      "it never expires on this database\"},"
      "  \"has_more\": {\"type\": \"boolean\"}}},"
      /* What a till pushes (sk-sync.h). */
      "\"SyncEvent\": {\"type\": \"object\", \"required\": [\"seq\", \"id\", \"kind\", "
      "\"payload\"], \"properties\": {"
      "  \"seq\": {\"type\": \"integer\", \"format\": \"int64\", \"minimum\": 1, "
      "\"description\": \"the device's sequence number (its outbox row)\"},"
      "  \"id\": {\"type\": \"string\", \"format\": \"uuid\", \"description\": \"the "
      "event's UUID\"},"
      "  \"kind\": {\"type\": \"string\", \"enum\": [\"purchase.create\", \"refund.create\", "
      "\"bonus_transaction.create\", \"customer.create\", \"customer.update\", "
      "\"notification.create\"], "
      "\"description\": \"the outbox row's entity and op; another kind is rejected "
      "(unknown_kind)\"},"
      "  \"payload\": {\"type\": \"object\", \"additionalProperties\": true, "
      "\"description\": \"the outbox row's payload: a Purchase (at the till's prices), a "
      "refund {id, purchase_id, lines, amount}, a BonusTransaction, a Customer (an edit with "
      "base: the values the till saw)\"},"
      "  \"created_at\": {\"type\": \"string\", \"format\": \"date-time\"}}},"
      "\"SyncPush\": {\"type\": \"object\", \"required\": [\"device_id\", \"events\"], "
      "\"properties\": {"
      "  \"device_id\": {\"type\": \"string\", \"format\": \"uuid\"},"
      "  \"app_version\": {\"type\": \"string\", \"maxLength\": 100},"
      "  \"store_id\": {\"type\": \"string\", \"description\": \"the device's store: an "
      "admin names it at the device's first push; a store role's is its own\"},"
      "  \"events\": {\"type\": \"array\", \"maxItems\": 500, \"items\": {\"$ref\": "
      "\"#/components/schemas/SyncEvent\"}}}},"
      "\"SyncAnswer\": {\"type\": \"object\", \"required\": [\"id\", \"seq\", "
      "\"status\"], \"properties\": {"
      "  \"id\": {\"type\": \"string\"}, \"seq\": {\"type\": \"integer\", \"format\": "
      "\"int64\"},"
      "  \"status\": {\"type\": \"string\", \"enum\": [\"applied\", \"duplicate\", "
      "\"rejected\"]},"
      "  \"first_status\": {\"type\": \"string\", \"enum\": [\"applied\", \"duplicate\", "
      "\"rejected\"], \"description\": \"a duplicate: how the event was first answered\"},"
      "  \"duplicate_of\": {\"type\": \"string\", \"description\": \"the event, sale or "
      "movement recorded before\"},"
      "  \"result\": {\"type\": \"object\", \"additionalProperties\": true, "
      "\"description\": \"what was recorded (the first result for a duplicate)\"},"
      "  \"code\": {\"type\": \"string\", \"description\": \"rejected: malformed, "
      "unknown_kind, forbidden, hq_only, inconsistent, unknown_customer, unknown_rule, "
      "unknown_purchase, "
      "idempotency_mismatch, sequence_reused, conflict, invalid_value...\"},"
      "  \"message\": {\"type\": \"string\"}, \"field\": {\"type\": \"string\", "
      "\"nullable\": true},"
      "  \"review\": {\"type\": \"array\", \"items\": {\"type\": \"object\", "
      "\"additionalProperties\": true}, \"description\": \"what HQ should look at: "
      "negative_balance, usage_limit_exceeded, budget_exceeded, clock_ahead, field_conflict, "
      "refund_differs, customer_merged (a registration HQ had under another id: result has "
      "merged_into)\"}}},"
      "\"SyncPushResult\": {\"type\": \"object\", \"required\": [\"device_id\", "
      "\"store_id\", \"results\", \"acked_seq\"], \"properties\": {"
      "  \"device_id\": {\"type\": \"string\"}, \"store_id\": {\"type\": \"string\"},"
      "  \"results\": {\"type\": \"array\", \"items\": {\"$ref\": "
      "\"#/components/schemas/SyncAnswer\"}},"
      "  \"acked_seq\": {\"type\": \"integer\", \"format\": \"int64\", \"description\": "
      "\"the highest sequence acknowledged: the till drops its outbox up to it\"},"
      "  \"error\": {\"type\": \"object\", \"additionalProperties\": true, "
      "\"description\": \"the database failed part way: the events answered are kept, push "
      "the rest again\"}}},"
      /* What HQ looks at (sk-sync.h), and the tills. */
      "\"SyncReviewItem\": {\"type\": \"object\", \"required\": [\"id\", \"kind\", "
      "\"store_id\", \"event_id\", \"details\", \"created_at\", \"resolved\"], "
      "\"properties\": {"
      "  \"id\": {\"type\": \"string\", \"format\": \"uuid\"},"
      "  \"kind\": {\"type\": \"string\", \"description\": \"rejected_event, "
      "negative_balance, field_conflict, clock_ahead, usage_limit_exceeded, budget_exceeded, "
      "refund_differs, customer_merged...\"},"
      "  \"store_id\": {\"type\": \"string\", \"description\": \"the store of the till "
      "that pushed\"},"
      "  \"device_id\": {\"type\": \"string\"}, \"event_id\": {\"type\": \"string\"},"
      "  \"event_kind\": {\"type\": \"string\"}, \"seq\": {\"type\": \"integer\", "
      "\"format\": \"int64\"},"
      "  \"customer_id\": {\"type\": \"string\", \"nullable\": true},"
      "  \"details\": {\"type\": \"object\", \"additionalProperties\": true, "
      "\"description\": \"the item as the push saw it (a rejection: code, message, field, "
      "payload_id)\"},"
      "  \"created_at\": {\"type\": \"string\", \"format\": \"date-time\"},"
      "  \"resolved\": {\"type\": \"boolean\"},"
      "  \"resolved_at\": {\"type\": \"string\", \"format\": \"date-time\", "
      "\"nullable\": true},"
      "  \"resolved_by\": {\"type\": \"string\", \"nullable\": true},"
      "  \"resolved_by_username\": {\"type\": \"string\", \"nullable\": true}}},"
      "\"SyncDevice\": {\"type\": \"object\", \"required\": [\"id\", \"store_id\", "
      "\"acked_seq\", \"last_seen_at\"], \"properties\": {"
      "  \"id\": {\"type\": \"string\", \"format\": \"uuid\"}, \"store_id\": "
      "{\"type\": \"string\"},"
      "  \"user_id\": {\"type\": \"string\", \"nullable\": true, \"description\": "
      "\"the account of its last push\"},"
      "  \"username\": {\"type\": \"string\", \"nullable\": true},"
      "  \"app_version\": {\"type\": \"string\", \"nullable\": true},"
      "  \"acked_seq\": {\"type\": \"integer\", \"format\": \"int64\"},"
      "  \"created_at\": {\"type\": \"string\", \"format\": \"date-time\"},"
      "  \"last_seen_at\": {\"type\": \"string\", \"format\": \"date-time\", "
      "\"description\": \"its last contact\"}}},"
      "\"NotificationTemplate\": {\"type\": \"object\", \"properties\": {"
      "  \"event\": {\"type\": \"string\", \"enum\": [\"bonus_earned\", \"birthday\", "
      "\"campaign\", \"receipt\"]},"
      "  \"language\": {\"type\": \"string\", \"pattern\": \"^[a-z]{2}$\"},"
      "  \"subject\": {\"type\": \"string\"}, \"body\": {\"type\": \"string\", \"description\": "
      "\"{name}, {child}, {age}, {amount}, {balance}, {store}, {campaign} and {description} are "
      "filled in\"},"
      "  \"version\": {\"type\": \"integer\", \"format\": \"int64\"}}},"
      "\"NotificationTemplateList\": {\"type\": \"object\", \"properties\": {\"items\": "
      "{\"type\": \"array\", \"items\": {\"$ref\": "
      "\"#/components/schemas/NotificationTemplate\"}}}},"
      "\"NotificationTemplateEdit\": {\"type\": \"object\", \"required\": [\"subject\", "
      "\"body\"], \"properties\": {"
      "  \"subject\": {\"type\": \"string\", \"maxLength\": 200}, \"body\": {\"type\": "
      "\"string\", \"maxLength\": 2000},"
      "  \"version\": {\"type\": \"integer\", \"format\": \"int64\", \"description\": \"the "
      "version edited; another stored: 412\"}}},"
      "\"NotificationTemplatePreview\": {\"type\": \"object\", \"required\": [\"event\", "
      "\"language\"], \"properties\": {"
      "  \"event\": {\"type\": \"string\"}, \"language\": {\"type\": \"string\"},"
      "  \"subject\": {\"type\": \"string\", \"description\": \"absent: the stored one's\"},"
      "  \"body\": {\"type\": \"string\", \"description\": \"absent: the stored one's\"}}},"
      "\"NotificationPreview\": {\"type\": \"object\", \"properties\": {\"subject\": {\"type\": "
      "\"string\"}, \"body\": {\"type\": \"string\"}}},"
      "\"Reach\": {\"type\": \"object\", \"properties\": {"
      "  \"customers\": {\"type\": \"integer\"}, \"email\": {\"type\": \"integer\"},"
      "  \"sms\": {\"type\": \"integer\"}, \"push\": {\"type\": \"integer\"}}},"
      "\"CampaignAnnouncement\": {\"type\": \"object\", \"properties\": {"
      "  \"reach\": {\"$ref\": \"#/components/schemas/Reach\"},"
      "  \"pending\": {\"type\": \"integer\"}, \"sent\": {\"type\": \"integer\"},"
      "  \"failed\": {\"type\": \"integer\"}, \"unsubscribed\": {\"type\": \"integer\"}}},"
      "\"CampaignAnnounced\": {\"type\": \"object\", \"properties\": {"
      "  \"queued\": {\"$ref\": \"#/components/schemas/Reach\"}}},"
      "\"Unsubscribed\": {\"type\": \"object\", \"properties\": {"
      "  \"channel\": {\"type\": \"string\", \"enum\": [\"email\", \"sms\", \"push\"]},"
      "  \"unsubscribed\": {\"type\": \"boolean\"}}},"
      "\"Health\": {\"type\": \"object\", \"properties\": {\"status\": {\"type\": \"string\"},"
      "  \"version\": {\"type\": \"string\"}, \"schema_version\": {\"type\": \"integer\"},"
      "  \"database\": {\"type\": \"string\", \"enum\": [\"sqlite\", \"postgresql\"]}}},"
      "\"LoginRequest\": {\"type\": \"object\", \"required\": [\"username\", \"password\"], "
      "\"properties\": {"
      "  \"username\": {\"type\": \"string\"}, \"password\": {\"type\": \"string\", \"format\": "
      "\"password\"}}},"
      "\"LoginResponse\": {\"type\": \"object\", \"properties\": {\"token\": {\"type\": "
      "\"string\"},"
      "  \"token_type\": {\"type\": \"string\", \"enum\": [\"Bearer\"]},"
      "  \"expires_at\": {\"type\": \"string\", \"format\": \"date-time\"}, \"user\": {\"$ref\": "
      "\"#/components/schemas/User\"}}},"
      "\"User\": {\"type\": \"object\", \"properties\": {\"id\": {\"type\": \"string\"}, "
      "\"username\": {\"type\": \"string\"},"
      "  \"role\": {\"type\": \"string\", \"enum\": [\"admin\", \"marketing\", \"manager\", "
      "\"cashier\"]},"
      "  \"store_id\": {\"type\": \"string\", \"nullable\": true},"
      "  \"created_at\": {\"type\": \"string\", \"format\": \"date-time\"}, \"disabled\": "
      "{\"type\": \"boolean\"}}},"
      "\"UserCreate\": {\"type\": \"object\", \"required\": [\"username\", \"password\", "
      "\"role\"], \"properties\": {"
      "  \"username\": {\"type\": \"string\"}, \"password\": {\"type\": \"string\", \"format\": "
      "\"password\", \"minLength\": 8},"
      "  \"role\": {\"type\": \"string\", \"enum\": [\"admin\", \"marketing\", \"manager\", "
      "\"cashier\"]},"
      "  \"store_id\": {\"type\": \"string\", \"nullable\": true, \"description\": \"required for "
      "manager and cashier\"}}},"
      "\"UserUpdate\": {\"type\": \"object\", \"required\": [\"disabled\"], \"properties\": {"
      "  \"disabled\": {\"type\": \"boolean\"}}},"
      "\"Balance\": {\"type\": \"object\", \"properties\": {\"customer_id\": {\"type\": "
      "\"string\"},"
      "  \"balance\": {\"type\": \"integer\", \"format\": \"int64\", \"description\": "
      "\"kopecks\"}}},"
      "\"BonusRequest\": {\"type\": \"object\", \"required\": [\"amount\", \"reason\"], "
      "\"properties\": {"
      "  \"amount\": {\"type\": \"integer\", \"format\": \"int64\", \"minimum\": -1000000000000,"
      "    \"maximum\": 1000000000000, \"description\": \"kopecks; signed for adjust; refused "
      "(422) if the balance"
      " would go beyond 1000000000000 either way\"},"
      "  \"reason\": {\"type\": \"string\"}, \"store_id\": {\"type\": \"string\", \"nullable\": "
      "true}}},"
      "\"CartItem\": {\"type\": \"object\", \"required\": [\"unit_price\", \"quantity\"], "
      "\"properties\": {"
      "  \"sku\": {\"type\": \"string\"}, \"name\": {\"type\": \"string\"}, \"category\": "
      "{\"type\": \"string\"},"
      "  \"unit_price\": {\"type\": \"integer\", \"format\": \"int64\", \"minimum\": 0, "
      "\"maximum\": 1000000000000,"
      "    \"description\": \"kopecks; a line and the cart are bounded the same\"},"
      "  \"quantity\": {\"type\": \"integer\", \"format\": \"int64\", \"minimum\": 1}}},"
      "\"CalculateRequest\": {\"type\": \"object\", \"required\": [\"store_id\", \"items\"], "
      "\"properties\": {"
      "  \"store_id\": {\"type\": \"string\"}, \"customer_id\": {\"type\": \"string\", "
      "\"nullable\": true},"
      "  \"items\": {\"type\": \"array\", \"items\": {\"$ref\": "
      "\"#/components/schemas/CartItem\"}}}},"
      "\"PurchaseRequest\": {\"allOf\": [{\"$ref\": \"#/components/schemas/CalculateRequest\"}, "
      "{\"type\": \"object\","
      "  \"required\": [\"id\"], \"properties\": {\"id\": {\"type\": \"string\", \"format\": "
      "\"uuid\"},"
      "  \"bonus_to_spend\": {\"type\": \"integer\", \"format\": \"int64\", \"minimum\": 0, "
      "\"maximum\": 1000000000000},"
      "  \"created_at\": {\"type\": \"string\", \"format\": \"date-time\"}}}]},"
      "\"CalculateResult\": {\"type\": \"object\", \"properties\": {"
      "  \"subtotal\": {\"type\": \"integer\", \"format\": \"int64\"}, \"discount_total\": "
      "{\"type\": \"integer\", \"format\": \"int64\"},"
      "  \"total\": {\"type\": \"integer\", \"format\": \"int64\"}, \"bonus_multiplier\": "
      "{\"type\": \"integer\"},"
      "  \"applied\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": "
      "{\"rule_id\": {\"type\": \"string\"},"
      "    \"name\": {\"type\": \"string\"}, \"type\": {\"type\": \"string\"}, \"amount\": "
      "{\"type\": \"integer\", \"format\": \"int64\"}}}},"
      "  \"rejected\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": "
      "{\"rule_id\": {\"type\": \"string\"},"
      "    \"name\": {\"type\": \"string\"}, \"code\": {\"type\": \"string\"}, \"reason\": "
      "{\"type\": \"string\"}}}},"
      "  \"lines\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": "
      "{\"sku\": {\"type\": \"string\", \"nullable\": true},"
      "    \"discount\": {\"type\": \"integer\", \"format\": \"int64\"}, \"total\": {\"type\": "
      "\"integer\", \"format\": \"int64\"}}}}}},"
      "\"PurchaseResult\": {\"type\": \"object\", \"properties\": {\"purchase\": {\"$ref\": "
      "\"#/components/schemas/Purchase\"},"
      "  \"customer\": {\"type\": \"object\", \"allOf\": [{\"$ref\": "
      "\"#/components/schemas/Customer\"}], \"nullable\": true},"
      "  \"replayed\": {\"type\": \"boolean\"}}},"
      "\"RefundRequest\": {\"type\": \"object\", \"required\": [\"id\", \"purchase_id\"], "
      "\"properties\": {"
      "  \"id\": {\"type\": \"string\", \"format\": \"uuid\", \"description\": \"the refund's own "
      "id: replays change nothing\"},"
      "  \"purchase_id\": {\"type\": \"string\"},"
      "  \"lines\": {\"type\": \"array\", \"nullable\": true, \"description\": \"absent: "
      "everything not yet refunded\","
      "    \"items\": {\"type\": \"object\", \"required\": [\"line_no\", \"quantity\"], "
      "\"properties\": {"
      "    \"line_no\": {\"type\": \"integer\"}, \"quantity\": {\"type\": \"integer\"}}}}}},"
      "\"Summary\": {\"type\": \"object\", \"properties\": {\"revenue\": {\"type\": \"integer\", "
      "\"format\": \"int64\"},"
      "  \"discounts\": {\"type\": \"integer\", \"format\": \"int64\"}, \"bonus_earned\": "
      "{\"type\": \"integer\", \"format\": \"int64\"},"
      "  \"bonus_spent\": {\"type\": \"integer\", \"format\": \"int64\"}, \"customers\": "
      "{\"type\": \"integer\"},"
      "  \"purchases\": {\"type\": \"integer\"}, \"average_check\": {\"type\": \"integer\", "
      "\"format\": \"int64\"}}},"
      "\"AnalyticsRequest\": {\"type\": \"object\", \"properties\": {\"from\": {\"type\": "
      "\"string\", \"format\": \"date-time\"},"
      "  \"to\": {\"type\": \"string\", \"format\": \"date-time\"},"
      "  \"store_ids\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}},"
      "\"Analytics\": {\"type\": \"object\", \"properties\": {\"summary\": {\"$ref\": "
      "\"#/components/schemas/Summary\"},"
      "  \"daily\": {\"type\": \"array\", \"items\": {\"type\": \"object\", "
      "\"additionalProperties\": true}},"
      "  \"segments\": {\"type\": \"array\", \"items\": {\"type\": \"object\", "
      "\"additionalProperties\": true}},"
      "  \"rules\": {\"type\": \"array\", \"items\": {\"type\": \"object\", "
      "\"additionalProperties\": true}}}},"
      "\"SegmentsUpdate\": {\"type\": \"object\", \"properties\": {\"changed\": {\"type\": "
      "\"integer\"}}},"
      "\"CampaignFigures\": {\"type\": \"object\", \"properties\": {\"purchases\": {\"type\": "
      "\"integer\"},"
      "  \"revenue\": {\"type\": \"integer\", \"format\": \"int64\"}, \"discount\": {\"type\": "
      "\"integer\", \"format\": \"int64\"},"
      "  \"bonus_earned\": {\"type\": \"integer\", \"format\": \"int64\"}, \"customers\": "
      "{\"type\": \"integer\"},"
      "  \"budget\": {\"type\": \"integer\", \"format\": \"int64\", \"nullable\": true},"
      "  \"spent\": {\"type\": \"integer\", \"format\": \"int64\"},"
      "  \"store_only\": {\"type\": \"boolean\"}}},"
      /* Price lists (sk-products-csv.h). */
      "\"ProductImport\": {\"type\": \"object\", \"required\": [\"created\", \"updated\", "
      "\"unchanged\"], \"properties\": {"
      "  \"created\": {\"type\": \"integer\"}, \"updated\": {\"type\": \"integer\"},"
      "  \"unchanged\": {\"type\": \"integer\"}}},"
      "\"ProductImportErrors\": {\"type\": \"object\", \"required\": [\"error\", \"errors\"], "
      "\"properties\": {"
      "  \"error\": {\"type\": \"object\", \"required\": [\"code\", \"message\"], "
      "\"properties\": {\"code\": {\"type\": \"string\", \"example\": \"malformed\"},"
      "    \"message\": {\"type\": \"string\"}, \"field\": {\"type\": \"string\", "
      "\"nullable\": true}}},"
      "  \"error_count\": {\"type\": \"integer\", \"description\": \"every error found; "
      "errors lists the first 100\"},"
      "  \"errors\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"required\": "
      "[\"line\", \"column\", \"message\"], \"properties\": {"
      "    \"line\": {\"type\": \"integer\", \"description\": \"where the row starts, from 1 "
      "(the header); 0: the whole file\"},"
      "    \"column\": {\"type\": \"string\", \"nullable\": true},"
      "    \"message\": {\"type\": \"string\"}}}}}}"
      "}";

static void
add_ref (JsonBuilder *builder, const char *schema)
{
  g_autofree char *ref = g_strconcat ("#/components/schemas/", schema, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "$ref");
  json_builder_add_string_value (builder, ref);
  json_builder_end_object (builder);
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/* A record's schema from its field table; @extra adds the nested members. */
static void
add_record_schema (JsonBuilder *builder, const char *name, GType type, const char *extra)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (type);
  SkRecordClass *record_class = SK_RECORD_CLASS (klass);
  guint          i;
  gboolean       any_required = FALSE;

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_string (builder, "type", "object");
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  for (i = 0; i < record_class->n_fields; i++)
    {
      const SkField *field = &record_class->fields[i];

      if (field->flags & SK_FIELD_NO_JSON)
        continue;
      json_builder_set_member_name (builder, field->name);
      json_builder_begin_object (builder);
      switch (field->type)
        {
        case SK_FIELD_STRING:
          add_string (builder, "type", "string");
          json_builder_set_member_name (builder, "nullable");
          json_builder_add_boolean_value (builder, !(field->flags & SK_FIELD_REQUIRED));
          break;
        case SK_FIELD_INT64:
          add_string (builder, "type", "integer");
          add_string (builder, "format", "int64");
          if (field->flags & SK_FIELD_NULLABLE)
            {
              json_builder_set_member_name (builder, "nullable");
              json_builder_add_boolean_value (builder, TRUE);
            }
          break;
        case SK_FIELD_BOOL:
          add_string (builder, "type", "boolean");
          break;
        case SK_FIELD_STRV:
        case SK_FIELD_AMOUNTS:
          add_string (builder, "type", "array");
          json_builder_set_member_name (builder, "items");
          json_builder_begin_object (builder);
          add_string (builder, "type", field->type == SK_FIELD_STRV ? "string" : "integer");
          json_builder_end_object (builder);
          if (field->type == SK_FIELD_AMOUNTS)
            {
              json_builder_set_member_name (builder, "nullable");
              json_builder_add_boolean_value (builder, TRUE);
            }
          break;
        case SK_FIELD_TIME:
        default:
          add_string (builder, "type", "string");
          add_string (builder, "format", "date-time");
          json_builder_set_member_name (builder, "nullable");
          json_builder_add_boolean_value (builder, TRUE);
          break;
        }
      if (field->flags & SK_FIELD_READONLY)
        {
          json_builder_set_member_name (builder, "readOnly");
          json_builder_add_boolean_value (builder, TRUE);
        }
      json_builder_end_object (builder);
      any_required |= (field->flags & SK_FIELD_REQUIRED) != 0;
    }
  if (extra != NULL)
    {
      g_autoptr (JsonNode) node = json_from_string (extra, NULL);
      JsonObjectIter iter;
      const char    *member;
      JsonNode      *value;

      g_assert (node != NULL);
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &member, &value))
        {
          json_builder_set_member_name (builder, member);
          json_builder_add_value (builder, json_node_copy (value));
        }
    }
  json_builder_end_object (builder);
  if (any_required)
    {
      json_builder_set_member_name (builder, "required");
      json_builder_begin_array (builder);
      for (i = 0; i < record_class->n_fields; i++)
        if (record_class->fields[i].flags & SK_FIELD_REQUIRED)
          json_builder_add_string_value (builder, record_class->fields[i].name);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

static void
add_page_schema (JsonBuilder *builder, const char *item)
{
  g_autofree char *name = g_strconcat (item, "Page", NULL);

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_string (builder, "type", "object");
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_object (builder);
  add_string (builder, "type", "array");
  json_builder_set_member_name (builder, "items");
  add_ref (builder, item);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "next_cursor");
  json_builder_begin_object (builder);
  add_string (builder, "type", "string");
  json_builder_set_member_name (builder, "nullable");
  json_builder_add_boolean_value (builder, TRUE);
  add_string (builder, "description", "pass as cursor for the next page; null on the last");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static void
add_json_content (JsonBuilder *builder, const char *schema)
{
  json_builder_set_member_name (builder, "content");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, g_str_has_prefix (schema, "csv:") ? "text/csv"
                                                                           : "application/json");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "schema");
  /* A CSV body is text; its format is the route's description. */
  if (g_str_has_prefix (schema, "csv:"))
    {
      json_builder_begin_object (builder);
      add_string (builder, "type", "string");
      add_string (builder, "description",
                  "UTF-8 CSV with a header row: sku, name, price (rubles: 1299, 1299.50, 1 299,50) "
                  "required; category, barcode optional; delimiter , or ;");
      json_builder_end_object (builder);
    }
  else if (g_str_has_prefix (schema, "page:"))
    {
      g_autofree char *page = g_strconcat (schema + 5, "Page", NULL);
      add_ref (builder, page);
    }
  else
    add_ref (builder, schema);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static void
add_response (JsonBuilder *builder, const char *status, const char *description, const char *schema)
{
  json_builder_set_member_name (builder, status);
  json_builder_begin_object (builder);
  add_string (builder, "description", description);
  if (schema != NULL)
    add_json_content (builder, schema);
  json_builder_end_object (builder);
}

/* The error answers an operation may give, each a shared response of
 * components/responses, as the route's shape says which: a body or query
 * can be malformed (400), too large (413) or hold a wrong value (422); a
 * route with roles needs a token (401) and may refuse it (403); a path
 * with ids may name nothing (404); a write may collide (409); a PUT may be
 * stale (412); the public route with a body is the login (401, 429); and
 * any may find its database away or the server full (503). */
static const struct
{
  const char *status;
  const char *name;
  const char *description;
} error_responses[] = {
  { "400", "Malformed", "malformed: not JSON, or not the shape this operation takes" },
  { "401", "Unauthorized",
    "unauthorized: no token, an expired or revoked one, or a wrong password" },
  { "403", "Forbidden", "forbidden: the caller's role or store may not do this" },
  { "404", "NotFound", "not_found: nothing has this id" },
  { "409", "Conflict", "conflict or idempotency_mismatch: the id, phone, card or code is taken" },
  { "412", "StaleVersion", "stale_version: the record changed since the If-Match version" },
  { "413", "TooLarge", "payload_too_large: the body is over the server's max-body" },
  { "422", "InvalidValue", "invalid_value (and the ledger's codes): a value out of range" },
  { "429", "TooManyLogins", "too_many_requests: too many failed logins for this name or address" },
  { "503", "Unavailable", "database_unavailable, or the server is at max-connections" },
};

static void
add_error_responses (JsonBuilder *builder, const SkRoute *route, guint n_params)
{
  gboolean body = route->request_schema != NULL;
  gboolean input = body || route->query_params != NULL;
  gboolean login = route->roles == SK_ROLE_NONE && body;
  gboolean writes = body && !g_str_equal (route->method, "GET");
  gboolean put = g_str_equal (route->method, "PUT");
  gboolean given[G_N_ELEMENTS (error_responses)] = { input,
                                                     route->roles != SK_ROLE_NONE || login,
                                                     route->roles != SK_ROLE_NONE,
                                                     n_params > 0,
                                                     writes,
                                                     put,
                                                     body,
                                                     input,
                                                     login,
                                                     TRUE };

  for (guint i = 0; i < G_N_ELEMENTS (error_responses); i++)
    if (given[i])
      {
        g_autofree char *ref
            = g_strconcat ("#/components/responses/", error_responses[i].name, NULL);

        json_builder_set_member_name (builder, error_responses[i].status);
        json_builder_begin_object (builder);
        add_string (builder, "$ref", ref);
        json_builder_end_object (builder);
      }
}

static char *
openapi_path (const char *pattern, guint *n_params)
{
  GString    *path = g_string_new (NULL);
  const char *p;

  *n_params = 0;
  for (p = pattern; *p; p++)
    {
      if (*p == '*')
        {
          g_string_append (path, "{id}");
          (*n_params)++;
        }
      else
        g_string_append_c (path, *p);
    }
  return g_string_free (path, FALSE);
}

static char *
operation_id (const SkRoute *route)
{
  GString    *id = g_string_new (NULL);
  const char *p;
  gboolean    upper = FALSE;

  g_string_append (id, route->method);
  g_string_ascii_down (id);
  for (p = route->pattern + strlen ("/api"); *p; p++)
    {
      if (*p == '/' || *p == '-' || *p == '.' || *p == '_')
        upper = TRUE;
      else if (*p == '*')
        {
          g_string_append (id, "ById");
          upper = TRUE;
        }
      else
        {
          g_string_append_c (id, upper ? g_ascii_toupper (*p) : *p);
          upper = FALSE;
        }
    }
  return g_string_free (id, FALSE);
}

JsonNode *
sk_server_openapi (void)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) fixed = json_from_string (fixed_schemas, NULL);
  g_autoptr (GHashTable) paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  g_autoptr (GHashTable) pages = g_hash_table_new (g_str_hash, g_str_equal);
  const SkRoute *routes;
  guint          n_routes;
  guint          i, j;
  JsonObjectIter iter;
  const char    *member;
  JsonNode      *value;

  g_assert (fixed != NULL);
  routes = sk_server_routes (&n_routes);

  json_builder_begin_object (builder);
  add_string (builder, "openapi", "3.0.3");
  json_builder_set_member_name (builder, "info");
  json_builder_begin_object (builder);
  add_string (builder, "title", "Skidka server API");
  add_string (builder, "version", PACKAGE_VERSION);
  add_string (
      builder, "description",
      "Discounts and loyalty bonuses for a chain of children's goods stores. Money is integer "
      "kopecks, "
      "percentages basis points, multipliers hundredths, times RFC 3339 UTC. Errors are "
      "{\"error\": {\"code\", \"message\", \"field\"}}. Editable records carry a version and an "
      "ETag; "
      "PUT with If-Match (or \"version\") gets 412 when stale. Who may call an operation, by role "
      "and "
      "for their own store or another, is in its description (README, \"Who may do what\").");
  json_builder_set_member_name (builder, "license");
  json_builder_begin_object (builder);
  add_string (builder, "name", "GPL-3.0-or-later");
  add_string (builder, "url", "https://www.gnu.org/licenses/gpl-3.0.html");
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  /* Relative: the server this document came from (GET /api/openapi.json). */
  json_builder_set_member_name (builder, "servers");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string (builder, "url", "/");
  add_string (builder, "description", "The server that serves this document");
  json_builder_end_object (builder);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "security");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "bearerAuth");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);

  /* Routes grouped by path, in table order. */
  for (i = 0; i < n_routes; i++)
    {
      guint n_params;
      char *path = openapi_path (routes[i].pattern, &n_params);

      if (g_hash_table_contains (paths, path))
        g_free (path);
      else
        {
          g_hash_table_add (paths, path);
          g_ptr_array_add (order, path);
        }
      if (routes[i].response_schema && g_str_has_prefix (routes[i].response_schema, "page:"))
        g_hash_table_add (pages, (gpointer)(routes[i].response_schema + 5));
    }

  json_builder_set_member_name (builder, "paths");
  json_builder_begin_object (builder);
  for (j = 0; j < order->len; j++)
    {
      const char *path = g_ptr_array_index (order, j);

      json_builder_set_member_name (builder, path);
      json_builder_begin_object (builder);
      for (i = 0; i < n_routes; i++)
        {
          const SkRoute   *route = &routes[i];
          g_autofree char *route_path = NULL;
          g_autofree char *method = NULL;
          g_autofree char *op = NULL;
          g_autofree char *description = NULL;
          guint            n_params;
          const char      *success;
          gboolean         if_match;

          route_path = openapi_path (route->pattern, &n_params);
          if (!g_str_equal (route_path, path))
            continue;
          method = g_ascii_strdown (route->method, -1);
          op = operation_id (route);
          json_builder_set_member_name (builder, method);
          json_builder_begin_object (builder);
          add_string (builder, "operationId", op);
          add_string (builder, "summary", route->summary);
          /* Who may do it: the route's policy (every route has one, the
           * policy test checks), then what no token gets. */
          description
              = g_strconcat (route->policy != NULL ? route->policy : "",
                             route->roles == SK_ROLE_NONE ? NULL : " Without a token: 401.", NULL);
          add_string (builder, "description", description);
          if (route->roles == SK_ROLE_NONE)
            {
              json_builder_set_member_name (builder, "security");
              json_builder_begin_array (builder);
              json_builder_end_array (builder);
            }
          if_match = g_str_equal (route->method, "PUT") || g_str_equal (route->method, "DELETE");
          if (n_params > 0 || route->query_params != NULL || if_match)
            {
              json_builder_set_member_name (builder, "parameters");
              json_builder_begin_array (builder);
              if (n_params > 0)
                {
                  json_builder_begin_object (builder);
                  add_string (builder, "name", "id");
                  add_string (builder, "in", "path");
                  json_builder_set_member_name (builder, "required");
                  json_builder_add_boolean_value (builder, TRUE);
                  json_builder_set_member_name (builder, "schema");
                  json_builder_begin_object (builder);
                  add_string (builder, "type", "string");
                  json_builder_end_object (builder);
                  json_builder_end_object (builder);
                }
              if (route->query_params != NULL)
                {
                  g_auto (GStrv) names = g_strsplit (route->query_params, ",", -1);
                  guint k;

                  for (k = 0; names[k]; k++)
                    {
                      json_builder_begin_object (builder);
                      add_string (builder, "name", names[k]);
                      add_string (builder, "in", "query");
                      json_builder_set_member_name (builder, "required");
                      json_builder_add_boolean_value (builder, FALSE);
                      json_builder_set_member_name (builder, "schema");
                      json_builder_begin_object (builder);
                      if (g_str_equal (names[k], "limit"))
                        {
                          add_string (builder, "type", "integer");
                          json_builder_set_member_name (builder, "minimum");
                          json_builder_add_int_value (builder, 1);
                          json_builder_set_member_name (builder, "maximum");
                          json_builder_add_int_value (builder, 500);
                        }
                      else if (g_str_equal (names[k], "from") || g_str_equal (names[k], "to")
                               || g_str_has_suffix (names[k], "_since"))
                        {
                          add_string (builder, "type", "string");
                          add_string (builder, "format", "date-time");
                        }
                      else
                        add_string (builder, "type", "string");
                      json_builder_end_object (builder);
                      json_builder_end_object (builder);
                    }
                }
              if (if_match)
                {
                  json_builder_begin_object (builder);
                  add_string (builder, "name", "If-Match");
                  add_string (builder, "in", "header");
                  add_string (builder, "description",
                              "the ETag (version) the client read; stale: 412");
                  json_builder_set_member_name (builder, "required");
                  json_builder_add_boolean_value (builder, FALSE);
                  json_builder_set_member_name (builder, "schema");
                  json_builder_begin_object (builder);
                  add_string (builder, "type", "string");
                  json_builder_end_object (builder);
                  json_builder_end_object (builder);
                }
              json_builder_end_array (builder);
            }
          if (route->request_schema != NULL)
            {
              json_builder_set_member_name (builder, "requestBody");
              json_builder_begin_object (builder);
              json_builder_set_member_name (builder, "required");
              json_builder_add_boolean_value (builder, TRUE);
              add_json_content (builder, route->request_schema);
              json_builder_end_object (builder);
            }
          json_builder_set_member_name (builder, "responses");
          json_builder_begin_object (builder);
          if (route->response_schema == NULL)
            success = "204";
          else if (g_str_equal (route->method, "POST") && route->request_schema != NULL
                   && (g_str_equal (route->request_schema, route->response_schema)
                       || g_str_equal (route->response_schema, "BonusTransaction")
                       || g_str_equal (route->response_schema, "User")
                       || g_str_equal (route->response_schema, "PurchaseResult")))
            success = "201";
          else
            success = "200";
          add_response (builder, success, route->summary, route->response_schema);
          if (g_str_equal (route->response_schema ? route->response_schema : "", "PurchaseResult"))
            add_response (builder, "200",
                          "A replay of a purchase already processed: its first result",
                          "PurchaseResult");
          if (g_str_equal (route->response_schema ? route->response_schema : "", "ProductImport"))
            add_response (builder, "400",
                          "The file has errors: every bad row's line, column and message; nothing "
                          "was imported",
                          "ProductImportErrors");
          if (g_str_equal (route->response_schema ? route->response_schema : "", "SyncPull"))
            add_response (builder, "410",
                          "cursor_expired: a cursor this server did not give; pull from the start",
                          "Error");
          add_error_responses (builder, route, n_params);
          add_response (builder, "default", "Another error", "Error");
          json_builder_end_object (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "components");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "securitySchemes");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "bearerAuth");
  json_builder_begin_object (builder);
  add_string (builder, "type", "http");
  add_string (builder, "scheme", "bearer");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "responses");
  json_builder_begin_object (builder);
  for (i = 0; i < G_N_ELEMENTS (error_responses); i++)
    {
      g_autofree char *description
          = g_strconcat (error_responses[i].status, " ", error_responses[i].description, NULL);

      add_response (builder, error_responses[i].name, description, "Error");
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "schemas");
  json_builder_begin_object (builder);
  json_object_iter_init (&iter, json_node_get_object (fixed));
  while (json_object_iter_next (&iter, &member, &value))
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_value (builder, json_node_copy (value));
    }
  add_record_schema (builder, "Store", SK_TYPE_STORE, NULL);
  add_record_schema (builder, "Child", SK_TYPE_CHILD, NULL);
  add_record_schema (
      builder, "Customer", SK_TYPE_CUSTOMER,
      "{\"children\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/Child\"}},"
      " \"consent\": {\"type\": \"object\", \"properties\": {\"email\": {\"type\": \"boolean\"},"
      " \"sms\": {\"type\": \"boolean\"}, \"push\": {\"type\": \"boolean\"}}}}");
  add_record_schema (builder, "PurchaseLine", SK_TYPE_PURCHASE_LINE, NULL);
  add_record_schema (builder, "DiscountApplication", SK_TYPE_DISCOUNT_APPLICATION, NULL);
  add_record_schema (builder, "Purchase", SK_TYPE_PURCHASE,
                     "{\"lines\": {\"type\": \"array\", \"items\": {\"$ref\": "
                     "\"#/components/schemas/PurchaseLine\"}},"
                     " \"applications\": {\"type\": \"array\","
                     " \"items\": {\"$ref\": \"#/components/schemas/DiscountApplication\"}}}");
  add_record_schema (builder, "BonusTransaction", SK_TYPE_BONUS_TRANSACTION, NULL);
  add_record_schema (builder, "SegmentAssignment", SK_TYPE_SEGMENT_ASSIGNMENT, NULL);
  add_record_schema (builder, "DiscountRule", SK_TYPE_DISCOUNT_RULE, NULL);
  add_record_schema (builder, "Campaign", SK_TYPE_CAMPAIGN, NULL);
  add_record_schema (builder, "Notification", SK_TYPE_NOTIFICATION, NULL);
  add_record_schema (builder, "Product", SK_TYPE_PRODUCT, NULL);
  for (i = 0; i < n_routes; i++)
    {
      const char *schema = routes[i].response_schema;

      if (schema != NULL && g_str_has_prefix (schema, "page:")
          && g_hash_table_remove (pages, schema + 5))
        add_page_schema (builder, schema + 5);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
