/* sk-model.h: the domain objects of SPEC sections 4 and 5.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-record.h"

G_BEGIN_DECLS

#define SK_TYPE_STORE (sk_store_get_type ())
G_DECLARE_FINAL_TYPE (SkStore, sk_store, SK, STORE, SkRecord)

#define SK_TYPE_CHILD (sk_child_get_type ())
G_DECLARE_FINAL_TYPE (SkChild, sk_child, SK, CHILD, SkRecord)

#define SK_TYPE_CUSTOMER (sk_customer_get_type ())
G_DECLARE_FINAL_TYPE (SkCustomer, sk_customer, SK, CUSTOMER, SkRecord)

#define SK_TYPE_PURCHASE_LINE (sk_purchase_line_get_type ())
G_DECLARE_FINAL_TYPE (SkPurchaseLine, sk_purchase_line, SK, PURCHASE_LINE, SkRecord)

#define SK_TYPE_PURCHASE (sk_purchase_get_type ())
G_DECLARE_FINAL_TYPE (SkPurchase, sk_purchase, SK, PURCHASE, SkRecord)

#define SK_TYPE_BONUS_TRANSACTION (sk_bonus_transaction_get_type ())
G_DECLARE_FINAL_TYPE (SkBonusTransaction, sk_bonus_transaction, SK, BONUS_TRANSACTION, SkRecord)

#define SK_TYPE_DISCOUNT_RULE (sk_discount_rule_get_type ())
G_DECLARE_FINAL_TYPE (SkDiscountRule, sk_discount_rule, SK, DISCOUNT_RULE, SkRecord)

#define SK_TYPE_DISCOUNT_APPLICATION (sk_discount_application_get_type ())
G_DECLARE_FINAL_TYPE (
    SkDiscountApplication, sk_discount_application, SK, DISCOUNT_APPLICATION, SkRecord)

#define SK_TYPE_SEGMENT_ASSIGNMENT (sk_segment_assignment_get_type ())
G_DECLARE_FINAL_TYPE (SkSegmentAssignment, sk_segment_assignment, SK, SEGMENT_ASSIGNMENT, SkRecord)

#define SK_TYPE_CAMPAIGN (sk_campaign_get_type ())
G_DECLARE_FINAL_TYPE (SkCampaign, sk_campaign, SK, CAMPAIGN, SkRecord)

#define SK_TYPE_NOTIFICATION (sk_notification_get_type ())
G_DECLARE_FINAL_TYPE (SkNotification, sk_notification, SK, NOTIFICATION, SkRecord)

#define SK_TYPE_PRODUCT (sk_product_get_type ())
G_DECLARE_FINAL_TYPE (SkProduct, sk_product, SK, PRODUCT, SkRecord)

/* Rule types */
#define SK_RULE_PERCENTAGE       "percentage"
#define SK_RULE_FIXED_AMOUNT     "fixed_amount"
#define SK_RULE_BONUS_MULTIPLIER "bonus_multiplier"

/* Bonus transaction kinds */
#define SK_BONUS_EARN    "earn"
#define SK_BONUS_SPEND   "spend"
#define SK_BONUS_ADJUST  "adjust"
#define SK_BONUS_EXPIRE  "expire"
#define SK_BONUS_REVERSE "reverse"

/* Segments */
#define SK_SEGMENT_NEW        "new"
#define SK_SEGMENT_ONE_TIME   "one_time"
#define SK_SEGMENT_OCCASIONAL "occasional"
#define SK_SEGMENT_REGULAR    "regular"
#define SK_SEGMENT_VIP        "vip"

SkStore        *sk_store_new (void);
SkCustomer     *sk_customer_new (void);
SkChild        *sk_child_new (const char *name, const char *birth_date);
SkPurchaseLine *sk_purchase_line_new (
    const char *sku, const char *name, const char *category, gint64 unit_price, gint64 quantity);
SkPurchase     *sk_purchase_new (void);
SkDiscountRule *sk_discount_rule_new (void);
SkCampaign     *sk_campaign_new (void);

/* Collections are list models so views show them lazily. */
GListModel *sk_customer_get_children (SkCustomer *self);
/* Replaces the children with the SkChild items of @children (NULL: none). */
void        sk_customer_set_children (SkCustomer *self, GListModel *children);
GListModel *sk_purchase_get_lines (SkPurchase *self);
void        sk_purchase_add_line (SkPurchase *self, SkPurchaseLine *line);
GListModel *sk_purchase_get_applications (SkPurchase *self);

const char *sk_record_get_id (gpointer record);

/* Is @segment one of the segment names above? */
gboolean sk_segment_is_valid (const char *segment);
/* Is @text a calendar date "YYYY-MM-DD"? */
gboolean sk_date_is_valid (const char *text);

G_END_DECLS
