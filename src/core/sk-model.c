/* sk-model.c: field tables and collections of the domain objects.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "sk-error.h"
#include "sk-model-private.h"

#define F(T, member, kind, flags)                                                                  \
  {                                                                                                \
#member, SK_FIELD_##kind, G_STRUCT_OFFSET(T, member), flags                                    \
  }

#define RO  SK_FIELD_READONLY
#define REQ SK_FIELD_REQUIRED
#define NUL SK_FIELD_NULLABLE

/* A record type with only flat fields: finalize is the base class's. The
 * defaults are set in _init, so records read from JSON get them too. */
#define SK_DEFINE_RECORD_WITH_DEFAULTS(TN, t_n, FIELDS, DEFAULTS)                                  \
  G_DEFINE_FINAL_TYPE (TN, t_n, SK_TYPE_RECORD)                                                    \
  static void t_n##_class_init (TN##Class *klass)                                                  \
  {                                                                                                \
    sk_record_class_install_fields (SK_RECORD_CLASS (klass), FIELDS, G_N_ELEMENTS (FIELDS));       \
  }                                                                                                \
  static void t_n##_init (TN *self) { DEFAULTS; }

#define SK_DEFINE_RECORD(TN, t_n, FIELDS)                                                          \
  SK_DEFINE_RECORD_WITH_DEFAULTS (TN, t_n, FIELDS, (void)self)

static const SkField store_fields[] = {
  F (SkStore, id, STRING, 0),
  F (SkStore, code, STRING, REQ),
  F (SkStore, name, STRING, REQ),
  F (SkStore, address, STRING, 0),
  F (SkStore, timezone, STRING, 0),
  F (SkStore, bonus_rate, INT64, 0),
  F (SkStore, max_bonus_share, INT64, 0),
  F (SkStore, version, INT64, RO),
};

static const SkField child_fields[] = {
  F (SkChild, name, STRING, 0),
  F (SkChild, birth_date, STRING, 0),
};

static const SkField customer_fields[] = {
  F (SkCustomer, id, STRING, 0),
  F (SkCustomer, card_number, STRING, 0),
  F (SkCustomer, phone, STRING, 0),
  F (SkCustomer, email, STRING, 0),
  F (SkCustomer, full_name, STRING, 0),
  F (SkCustomer, birth_date, STRING, 0),
  F (SkCustomer, consent_email, BOOL, SK_FIELD_NO_JSON),
  F (SkCustomer, consent_sms, BOOL, SK_FIELD_NO_JSON),
  F (SkCustomer, consent_push, BOOL, SK_FIELD_NO_JSON),
  F (SkCustomer, home_store_id, STRING, 0),
  F (SkCustomer, created_at, TIME, RO),
  F (SkCustomer, visits, INT64, RO),
  F (SkCustomer, total_spent, INT64, RO),
  F (SkCustomer, last_purchase_at, TIME, RO),
  F (SkCustomer, segment, STRING, RO),
  F (SkCustomer, bonus_balance, INT64, RO),
  F (SkCustomer, flagged, BOOL, RO),
  F (SkCustomer, version, INT64, RO),
};

static const SkField purchase_line_fields[] = {
  F (SkPurchaseLine, line_no, INT64, RO),
  F (SkPurchaseLine, sku, STRING, 0),
  F (SkPurchaseLine, name, STRING, 0),
  F (SkPurchaseLine, category, STRING, 0),
  F (SkPurchaseLine, unit_price, INT64, REQ),
  F (SkPurchaseLine, quantity, INT64, REQ),
  F (SkPurchaseLine, discount, INT64, RO),
  F (SkPurchaseLine, total, INT64, RO),
  F (SkPurchaseLine, refunded_quantity, INT64, RO),
};

static const SkField purchase_fields[] = {
  F (SkPurchase, id, STRING, 0),
  F (SkPurchase, customer_id, STRING, 0),
  F (SkPurchase, store_id, STRING, 0),
  F (SkPurchase, created_at, TIME, 0),
  F (SkPurchase, subtotal, INT64, RO),
  F (SkPurchase, discount_total, INT64, RO),
  F (SkPurchase, bonus_spent, INT64, RO),
  F (SkPurchase, bonus_earned, INT64, RO),
  F (SkPurchase, total_paid, INT64, RO),
  F (SkPurchase, bonus_multiplier, INT64, RO),
  F (SkPurchase, status, STRING, RO),
  F (SkPurchase, refunded_total, INT64, RO),
  F (SkPurchase, discount_refunded, INT64, RO),
  F (SkPurchase, bonus_reversed, INT64, RO),
  F (SkPurchase, bonus_returned, INT64, RO),
  F (SkPurchase, updated_at, TIME, RO),
};

static const SkField bonus_transaction_fields[] = {
  F (SkBonusTransaction, id, STRING, 0),
  F (SkBonusTransaction, customer_id, STRING, 0),
  F (SkBonusTransaction, kind, STRING, 0),
  F (SkBonusTransaction, amount, INT64, 0),
  F (SkBonusTransaction, balance_after, INT64, RO),
  F (SkBonusTransaction, reason, STRING, 0),
  F (SkBonusTransaction, purchase_id, STRING, 0),
  F (SkBonusTransaction, store_id, STRING, 0),
  F (SkBonusTransaction, created_at, TIME, 0),
  F (SkBonusTransaction, expires_at, TIME, 0),
};

static const SkField discount_rule_fields[] = {
  F (SkDiscountRule, id, STRING, 0),
  F (SkDiscountRule, name, STRING, REQ),
  F (SkDiscountRule, description, STRING, 0),
  F (SkDiscountRule, type, STRING, REQ),
  F (SkDiscountRule, value, INT64, REQ),
  F (SkDiscountRule, min_purchase, INT64, NUL),
  F (SkDiscountRule, max_discount, INT64, NUL),
  F (SkDiscountRule, store_ids, STRV, 0),
  F (SkDiscountRule, categories, STRV, 0),
  F (SkDiscountRule, segments, STRV, 0),
  F (SkDiscountRule, usage_limit_total, INT64, NUL),
  F (SkDiscountRule, usage_limit_per_customer, INT64, NUL),
  F (SkDiscountRule, valid_from, TIME, 0),
  F (SkDiscountRule, valid_until, TIME, 0),
  F (SkDiscountRule, is_active, BOOL, 0),
  F (SkDiscountRule, priority, INT64, 0),
  F (SkDiscountRule, stackable, BOOL, 0),
  F (SkDiscountRule, campaign_id, STRING, 0),
  F (SkDiscountRule, uses, INT64, RO),
  F (SkDiscountRule, version, INT64, RO),
};

static const SkField discount_application_fields[] = {
  F (SkDiscountApplication, id, STRING, 0),
  F (SkDiscountApplication, purchase_id, STRING, 0),
  F (SkDiscountApplication, rule_id, STRING, 0),
  F (SkDiscountApplication, rule_name, STRING, 0),
  F (SkDiscountApplication, customer_id, STRING, 0),
  F (SkDiscountApplication, store_id, STRING, 0),
  F (SkDiscountApplication, amount, INT64, 0),
  F (SkDiscountApplication, amount_refunded, INT64, RO),
  F (SkDiscountApplication, campaign_id, STRING, 0),
  F (SkDiscountApplication, line_amounts, AMOUNTS, 0),
  F (SkDiscountApplication, created_at, TIME, 0),
};

static const SkField segment_assignment_fields[] = {
  F (SkSegmentAssignment, id, INT64, 0),
  F (SkSegmentAssignment, customer_id, STRING, 0),
  F (SkSegmentAssignment, segment, STRING, 0),
  F (SkSegmentAssignment, previous_segment, STRING, 0),
  F (SkSegmentAssignment, assigned_at, TIME, 0),
};

static const SkField campaign_fields[] = {
  F (SkCampaign, id, STRING, 0),          F (SkCampaign, name, STRING, REQ),
  F (SkCampaign, description, STRING, 0), F (SkCampaign, starts_at, TIME, 0),
  F (SkCampaign, ends_at, TIME, 0),       F (SkCampaign, status, STRING, 0),
  F (SkCampaign, segments, STRV, 0),      F (SkCampaign, store_ids, STRV, 0),
  F (SkCampaign, channels, STRV, 0),      F (SkCampaign, budget, INT64, NUL),
  F (SkCampaign, spent, INT64, RO),       F (SkCampaign, rule_ids, STRV, SK_FIELD_COMPUTED),
  F (SkCampaign, version, INT64, RO),
};

static const SkField notification_fields[] = {
  F (SkNotification, id, STRING, 0),        F (SkNotification, customer_id, STRING, 0),
  F (SkNotification, channel, STRING, 0),   F (SkNotification, event, STRING, 0),
  F (SkNotification, recipient, STRING, 0), F (SkNotification, subject, STRING, 0),
  F (SkNotification, body, STRING, 0),      F (SkNotification, status, STRING, 0),
  F (SkNotification, error, STRING, 0),     F (SkNotification, attempts, INT64, 0),
  F (SkNotification, created_at, TIME, 0),  F (SkNotification, next_attempt_at, TIME, 0),
  F (SkNotification, sent_at, TIME, 0),
};

static const SkField product_fields[] = {
  F (SkProduct, sku, STRING, REQ),    F (SkProduct, name, STRING, REQ),
  F (SkProduct, category, STRING, 0), F (SkProduct, price, INT64, REQ),
  F (SkProduct, barcode, STRING, 0),  F (SkProduct, version, INT64, RO),
};

SK_DEFINE_RECORD_WITH_DEFAULTS (SkStore, sk_store, store_fields, self->bonus_rate = 100;
                                self->max_bonus_share = 10000)
SK_DEFINE_RECORD (SkChild, sk_child, child_fields)
SK_DEFINE_RECORD (SkPurchaseLine, sk_purchase_line, purchase_line_fields)
SK_DEFINE_RECORD (SkBonusTransaction, sk_bonus_transaction, bonus_transaction_fields)
SK_DEFINE_RECORD_WITH_DEFAULTS (SkDiscountRule,
                                sk_discount_rule,
                                discount_rule_fields,
                                self->is_active = TRUE;
                                self->stackable = TRUE)
SK_DEFINE_RECORD (SkDiscountApplication, sk_discount_application, discount_application_fields)
SK_DEFINE_RECORD (SkSegmentAssignment, sk_segment_assignment, segment_assignment_fields)
SK_DEFINE_RECORD_WITH_DEFAULTS (SkCampaign,
                                sk_campaign,
                                campaign_fields,
                                self->status = g_strdup ("draft"))
SK_DEFINE_RECORD (SkNotification, sk_notification, notification_fields)
SK_DEFINE_RECORD (SkProduct, sk_product, product_fields)

/* Nested lists of records, as JSON arrays. */

static void
build_list (JsonBuilder *builder, const char *member, GListModel *list)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (SkRecord) item = g_list_model_get_item (list, i);
      sk_record_build_json (item, builder);
    }
  json_builder_end_array (builder);
}

static gboolean
read_list (
    JsonObject *object, const char *member, GType item_type, GListStore *store, GError **error)
{
  JsonNode  *node = json_object_get_member (object, member);
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, member, "“%s” must be a list", member);
      return FALSE;
    }
  g_list_store_remove_all (store);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autoptr (GError) local_error = NULL;
      g_autoptr (SkRecord) item
          = sk_record_from_json (item_type, json_array_get_element (array, i), &local_error);
      if (item == NULL)
        {
          g_autofree char *where = g_strdup_printf ("%s[%u]", member, i);
          const char      *inner = sk_error_get_field (local_error);
          g_autofree char *field
              = inner ? g_strdup_printf ("%s.%s", where, inner) : g_strdup (where);

          sk_set_field_error (error, local_error->code, field, "%s: %s", where,
                              local_error->message);
          return FALSE;
        }
      g_list_store_append (store, item);
    }
  return TRUE;
}

/* Customer: children and the nested consent object. */

G_DEFINE_FINAL_TYPE (SkCustomer, sk_customer, SK_TYPE_RECORD)

enum
{
  CUSTOMER_PROP_CHILDREN = G_N_ELEMENTS (customer_fields) + 1
};

static void
sk_customer_to_json_extra (SkRecord *record, JsonBuilder *builder)
{
  SkCustomer *self = SK_CUSTOMER (record);

  build_list (builder, "children", G_LIST_MODEL (self->children));
  json_builder_set_member_name (builder, "consent");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_boolean_value (builder, self->consent_email);
  json_builder_set_member_name (builder, "sms");
  json_builder_add_boolean_value (builder, self->consent_sms);
  json_builder_set_member_name (builder, "push");
  json_builder_add_boolean_value (builder, self->consent_push);
  json_builder_end_object (builder);
}

static gboolean
read_consent (JsonObject *consent, const char *channel, gboolean *value, GError **error)
{
  JsonNode *node = json_object_get_member (consent, channel);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_autofree char *field = g_strconcat ("consent.", channel, NULL);
      sk_set_field_error (error, SK_ERROR_MALFORMED, field, "“%s” must be true or false", field);
      return FALSE;
    }
  *value = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
sk_customer_from_json_extra (SkRecord *record, JsonObject *object, GError **error)
{
  SkCustomer *self = SK_CUSTOMER (record);
  JsonNode   *consent = json_object_get_member (object, "consent");

  if (!read_list (object, "children", SK_TYPE_CHILD, self->children, error))
    return FALSE;
  if (consent != NULL && !JSON_NODE_HOLDS_NULL (consent))
    {
      JsonObject *o;

      if (!JSON_NODE_HOLDS_OBJECT (consent))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "consent",
                              "“consent” must be an object {email, sms, push}");
          return FALSE;
        }
      o = json_node_get_object (consent);
      if (!read_consent (o, "email", &self->consent_email, error)
          || !read_consent (o, "sms", &self->consent_sms, error)
          || !read_consent (o, "push", &self->consent_push, error))
        return FALSE;
    }
  return TRUE;
}

static void
sk_customer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id == CUSTOMER_PROP_CHILDREN)
    g_value_set_object (value, SK_CUSTOMER (object)->children);
  else
    G_OBJECT_CLASS (sk_customer_parent_class)->get_property (object, prop_id, value, pspec);
}

static void
sk_customer_finalize (GObject *object)
{
  g_clear_object (&SK_CUSTOMER (object)->children);
  G_OBJECT_CLASS (sk_customer_parent_class)->finalize (object);
}

static void
sk_customer_class_init (SkCustomerClass *klass)
{
  GObjectClass  *object_class = G_OBJECT_CLASS (klass);
  SkRecordClass *record_class = SK_RECORD_CLASS (klass);

  sk_record_class_install_fields (record_class, customer_fields, G_N_ELEMENTS (customer_fields));
  record_class->to_json_extra = sk_customer_to_json_extra;
  record_class->from_json_extra = sk_customer_from_json_extra;
  object_class->finalize = sk_customer_finalize;
  object_class->get_property = sk_customer_get_property;
  g_object_class_install_property (object_class, CUSTOMER_PROP_CHILDREN,
                                   g_param_spec_object ("children", NULL, NULL, G_TYPE_LIST_MODEL,
                                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
sk_customer_init (SkCustomer *self)
{
  self->children = g_list_store_new (SK_TYPE_CHILD);
}

/* Purchase: its lines and the discounts applied to it. */

G_DEFINE_FINAL_TYPE (SkPurchase, sk_purchase, SK_TYPE_RECORD)

static void
sk_purchase_to_json_extra (SkRecord *record, JsonBuilder *builder)
{
  SkPurchase *self = SK_PURCHASE (record);

  build_list (builder, "lines", G_LIST_MODEL (self->lines));
  build_list (builder, "applications", G_LIST_MODEL (self->applications));
}

static gboolean
sk_purchase_from_json_extra (SkRecord *record, JsonObject *object, GError **error)
{
  SkPurchase *self = SK_PURCHASE (record);

  /* The request shape of SPEC 5 calls the lines "items". */
  if (json_object_has_member (object, "items"))
    return read_list (object, "items", SK_TYPE_PURCHASE_LINE, self->lines, error);
  return read_list (object, "lines", SK_TYPE_PURCHASE_LINE, self->lines, error)
         && read_list (object, "applications", SK_TYPE_DISCOUNT_APPLICATION, self->applications,
                       error);
}

static void
sk_purchase_finalize (GObject *object)
{
  SkPurchase *self = SK_PURCHASE (object);

  g_clear_object (&self->lines);
  g_clear_object (&self->applications);
  G_OBJECT_CLASS (sk_purchase_parent_class)->finalize (object);
}

static void
sk_purchase_class_init (SkPurchaseClass *klass)
{
  SkRecordClass *record_class = SK_RECORD_CLASS (klass);

  sk_record_class_install_fields (record_class, purchase_fields, G_N_ELEMENTS (purchase_fields));
  record_class->to_json_extra = sk_purchase_to_json_extra;
  record_class->from_json_extra = sk_purchase_from_json_extra;
  G_OBJECT_CLASS (klass)->finalize = sk_purchase_finalize;
}

static void
sk_purchase_init (SkPurchase *self)
{
  self->lines = g_list_store_new (SK_TYPE_PURCHASE_LINE);
  self->applications = g_list_store_new (SK_TYPE_DISCOUNT_APPLICATION);
}

/* Constructors and accessors */

SkStore *
sk_store_new (void)
{
  return g_object_new (SK_TYPE_STORE, NULL);
}

SkCustomer *
sk_customer_new (void)
{
  return g_object_new (SK_TYPE_CUSTOMER, NULL);
}

SkChild *
sk_child_new (const char *name, const char *birth_date)
{
  return g_object_new (SK_TYPE_CHILD, "name", name, "birth-date", birth_date, NULL);
}

SkPurchaseLine *
sk_purchase_line_new (
    const char *sku, const char *name, const char *category, gint64 unit_price, gint64 quantity)
{
  return g_object_new (SK_TYPE_PURCHASE_LINE, "sku", sku, "name", name, "category", category,
                       "unit-price", unit_price, "quantity", quantity, NULL);
}

SkPurchase *
sk_purchase_new (void)
{
  return g_object_new (SK_TYPE_PURCHASE, NULL);
}

SkDiscountRule *
sk_discount_rule_new (void)
{
  return g_object_new (SK_TYPE_DISCOUNT_RULE, NULL);
}

SkCampaign *
sk_campaign_new (void)
{
  return g_object_new (SK_TYPE_CAMPAIGN, NULL);
}

GListModel *
sk_customer_get_children (SkCustomer *self)
{
  g_return_val_if_fail (SK_IS_CUSTOMER (self), NULL);
  return G_LIST_MODEL (self->children);
}

void
sk_customer_set_children (SkCustomer *self, GListModel *children)
{
  g_autoptr (GPtrArray) items = NULL;
  guint n;

  g_return_if_fail (SK_IS_CUSTOMER (self));
  g_return_if_fail (children == NULL || G_IS_LIST_MODEL (children));
  g_return_if_fail (children == NULL
                    || g_type_is_a (g_list_model_get_item_type (children), SK_TYPE_CHILD));

  /* Taken out first: @children may be the customer's own list. */
  n = children != NULL ? g_list_model_get_n_items (children) : 0;
  items = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (children, i));
  g_list_store_splice (self->children, 0, g_list_model_get_n_items (G_LIST_MODEL (self->children)),
                       items->pdata, items->len);
}

GListModel *
sk_purchase_get_lines (SkPurchase *self)
{
  g_return_val_if_fail (SK_IS_PURCHASE (self), NULL);
  return G_LIST_MODEL (self->lines);
}

void
sk_purchase_add_line (SkPurchase *self, SkPurchaseLine *line)
{
  g_return_if_fail (SK_IS_PURCHASE (self));
  g_return_if_fail (SK_IS_PURCHASE_LINE (line));
  g_list_store_append (self->lines, line);
}

GListModel *
sk_purchase_get_applications (SkPurchase *self)
{
  g_return_val_if_fail (SK_IS_PURCHASE (self), NULL);
  return G_LIST_MODEL (self->applications);
}

const char *
sk_record_get_id (gpointer record)
{
  SkRecordClass *klass;

  g_return_val_if_fail (SK_IS_RECORD (record), NULL);

  /* Every record whose first field is "id" keeps it as a string there. */
  klass = SK_RECORD_GET_CLASS (record);
  if (klass->n_fields > 0 && g_str_equal (klass->fields[0].name, "id")
      && klass->fields[0].type == SK_FIELD_STRING)
    return *(char **)(((guint8 *)record) + klass->fields[0].offset);
  return NULL;
}

gboolean
sk_segment_is_valid (const char *segment)
{
  static const char *const segments[]
      = { SK_SEGMENT_NEW,     SK_SEGMENT_ONE_TIME, SK_SEGMENT_OCCASIONAL,
          SK_SEGMENT_REGULAR, SK_SEGMENT_VIP,      NULL };
  return segment != NULL && g_strv_contains (segments, segment);
}

gboolean
sk_date_is_valid (const char *text)
{
  int  y, m, d;
  char tail;

  if (text == NULL || strlen (text) != 10 || sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  return g_date_valid_dmy (d, m, y);
}
