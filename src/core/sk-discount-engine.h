/* sk-discount-engine.h: what a cart gets (SPEC 4, "Engine"): a pure function
 * shared by the till and the server.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-model.h"
#include "sk-money.h" /* SK_MONEY_MAX: the most a line or a cart may reach */

G_BEGIN_DECLS

#define SK_QUANTITY_MAX ((gint64)1000000)

typedef struct
{
  char  *sku;
  char  *name;
  char  *category;
  gint64 unit_price;
  gint64 quantity;
} SkCartLine;

typedef struct
{
  char   *store_id;
  GArray *lines; /* SkCartLine */
} SkCart;

/* What the engine needs of a customer. NULL customer = anonymous buyer. */
typedef struct
{
  char       *id;
  char       *segment;
  GHashTable *rule_uses; /* rule id (char*) -> GINT_TO_POINTER-sized uses via gint64* */
} SkEngineCustomer;

typedef enum
{
  SK_REJECT_NONE,
  SK_REJECT_INACTIVE,
  SK_REJECT_NOT_STARTED,
  SK_REJECT_EXPIRED,
  SK_REJECT_CAMPAIGN_INACTIVE,
  SK_REJECT_CAMPAIGN_BUDGET_SPENT,
  SK_REJECT_STORE,
  SK_REJECT_ANONYMOUS,
  SK_REJECT_SEGMENT,
  SK_REJECT_USAGE_LIMIT_TOTAL,
  SK_REJECT_USAGE_LIMIT_CUSTOMER,
  SK_REJECT_NO_MATCHING_ITEMS,
  SK_REJECT_MIN_PURCHASE,
  SK_REJECT_ZERO_DISCOUNT,
  SK_REJECT_NOT_CHOSEN,       /* eligible, but a better choice was made */
  SK_REJECT_LOWER_MULTIPLIER, /* a higher bonus multiplier applies */
} SkRejectCode;

typedef struct
{
  SkDiscountRule *rule;
  gint64          amount; /* money off; 0 for a bonus multiplier */
} SkEngineApplied;

typedef struct
{
  SkDiscountRule *rule;
  SkRejectCode    code;
  gint64          detail; /* e.g. the min purchase not reached */
} SkEngineRejected;

typedef struct
{
  gint64  subtotal;
  gint64  discount_total;
  gint64  total;
  gint64  bonus_multiplier; /* hundredths; 100 when no multiplier applies */
  GArray *line_totals;      /* gint64 per cart line: unit_price x quantity */
  GArray *line_discounts;   /* gint64 per cart line */
  GArray *applied;          /* SkEngineApplied, in the order they applied */
  GArray *rejected;         /* SkEngineRejected, in rule order */
  /* The rules applied per line: for each applied money rule, its split. */
  GPtrArray *applied_splits; /* GArray of gint64 per line, parallel to applied */
} SkEngineResult;

SkCart *sk_cart_new (const char *store_id);
void    sk_cart_add_line (SkCart     *cart,
                          const char *sku,
                          const char *name,
                          const char *category,
                          gint64      unit_price,
                          gint64      quantity);
/* A deep copy, for a thread that must own what it reads. */
SkCart *sk_cart_copy (const SkCart *cart);
void    sk_cart_free (SkCart *cart);
/* Checks the cart a user gave: positive quantities and prices within range,
 * a store; SK_ERROR_INVALID naming "items[i].quantity" etc. */
gboolean sk_cart_validate (const SkCart *cart, GError **error);
/* Reads the "store_id" and "items" members of a calculate request. */
SkCart *sk_cart_from_json (JsonObject *object, GError **error);

SkEngineCustomer *sk_engine_customer_new (const char *id, const char *segment);
void   sk_engine_customer_set_uses (SkEngineCustomer *customer, const char *rule_id, gint64 uses);
gint64 sk_engine_customer_get_uses (const SkEngineCustomer *customer, const char *rule_id);
void   sk_engine_customer_free (SkEngineCustomer *customer);

/* The engine. @rules: SkDiscountRule with their total `uses`; @campaigns:
 * SkCampaign (a rule of a campaign not listed is not live). The result does
 * not depend on the order of @rules. The cart must be valid. */
SkEngineResult *sk_discount_engine_calculate (const SkCart           *cart,
                                              const SkEngineCustomer *customer,
                                              GPtrArray              *rules,
                                              GPtrArray              *campaigns,
                                              gint64                  now);
/* The rules this customer may get in this store now, before any cart: the
 * cart's conditions (categories, min purchase) are left open. Eligible rules
 * come back in `applied` with amount 0, the others in `rejected`. */
SkEngineResult *sk_discount_engine_available (const char             *store_id,
                                              const SkEngineCustomer *customer,
                                              GPtrArray              *rules,
                                              GPtrArray              *campaigns,
                                              gint64                  now);
void            sk_engine_result_free (SkEngineResult *result);

/* A sentence for the till: "min purchase 1 500,00 ₽ not reached". */
char       *sk_reject_reason_to_string (const SkEngineRejected *rejected);
const char *sk_reject_code_to_string (SkRejectCode code);

/* The calculate response of SPEC 5. The entries of "rejected" are sealed
 * and shared with other answers (sk-engine-json.c): read them, do not change
 * them. Safe to call from several threads at once. */
JsonNode *sk_engine_result_to_json (const SkEngineResult *result, const SkCart *cart);

/* Is a campaign live at @now (status scheduled or active, inside its period)? */
gboolean sk_campaign_is_live (SkCampaign *campaign, gint64 now);
/* What its budget still allows: G_MAXINT64 without a budget, 0 once spent. */
gint64 sk_campaign_budget_left (SkCampaign *campaign);
/* Whether customers told of it at @now could still take part: scheduled
 * or active, not over, its budget not used up; FALSE with the reason in
 * the user's words in @why (field "status", "ends_at" or "budget"). */
gboolean sk_campaign_can_take_part (SkCampaign *campaign, gint64 now, GError **why);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkCart, sk_cart_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkEngineCustomer, sk_engine_customer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkEngineResult, sk_engine_result_free)

G_END_DECLS
