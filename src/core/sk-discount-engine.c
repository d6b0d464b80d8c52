/* sk-discount-engine.c: eligibility, stacking, exclusivity and allocation of
 * discounts, exactly as SPEC section 4 says. No I/O, no globals: a pure function.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-discount-engine.h"
#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-sale.h"

/* Cart */

static void
cart_line_clear (gpointer data)
{
  SkCartLine *line = data;

  g_free (line->sku);
  g_free (line->name);
  g_free (line->category);
}

SkCart *
sk_cart_new (const char *store_id)
{
  SkCart *cart = g_new0 (SkCart, 1);

  cart->store_id = g_strdup (store_id);
  cart->lines = g_array_new (FALSE, TRUE, sizeof (SkCartLine));
  g_array_set_clear_func (cart->lines, cart_line_clear);
  return cart;
}

void
sk_cart_add_line (SkCart     *cart,
                  const char *sku,
                  const char *name,
                  const char *category,
                  gint64      unit_price,
                  gint64      quantity)
{
  SkCartLine line = {
    .sku = g_strdup (sku),
    .name = g_strdup (name),
    .category = g_strdup (category),
    .unit_price = unit_price,
    .quantity = quantity,
  };

  g_return_if_fail (cart != NULL);
  g_array_append_val (cart->lines, line);
}

SkCart *
sk_cart_copy (const SkCart *cart)
{
  SkCart *copy;

  g_return_val_if_fail (cart != NULL, NULL);
  copy = sk_cart_new (cart->store_id);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const SkCartLine *line = &g_array_index (cart->lines, SkCartLine, i);

      sk_cart_add_line (copy, line->sku, line->name, line->category, line->unit_price,
                        line->quantity);
    }
  return copy;
}

void
sk_cart_free (SkCart *cart)
{
  if (cart == NULL)
    return;
  g_free (cart->store_id);
  g_array_unref (cart->lines);
  g_free (cart);
}

gboolean
sk_cart_validate (const SkCart *cart, GError **error)
{
  gint64 subtotal = 0;

  g_return_val_if_fail (cart != NULL, FALSE);

  if (cart->store_id == NULL || *cart->store_id == '\0')
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "store_id", "A store is required");
      return FALSE;
    }
  if (cart->lines->len == 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "items", "The cart is empty");
      return FALSE;
    }
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const SkCartLine *line = &g_array_index (cart->lines, SkCartLine, i);
      g_autofree char  *field = NULL;

      if (line->quantity <= 0 || line->quantity > SK_QUANTITY_MAX)
        {
          field = g_strdup_printf ("items[%u].quantity", i);
          sk_set_field_error (error, SK_ERROR_INVALID, field,
                              "Line %u: quantity must be between 1 and %" G_GINT64_FORMAT, i + 1,
                              SK_QUANTITY_MAX);
          return FALSE;
        }
      if (line->unit_price < 0 || line->unit_price > SK_MONEY_MAX
          || line->unit_price > SK_MONEY_MAX / line->quantity)
        {
          field = g_strdup_printf ("items[%u].unit_price", i);
          sk_set_field_error (error, SK_ERROR_INVALID, field,
                              "Line %u: the price is negative or too large", i + 1);
          return FALSE;
        }
      subtotal += line->unit_price * line->quantity;
      if (subtotal > SK_MONEY_MAX)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "items", "The cart total is too large");
          return FALSE;
        }
    }
  return TRUE;
}

static const char *
json_get_string_member (JsonObject *object, const char *member, gboolean *ok)
{
  JsonNode *node = json_object_get_member (object, member);

  *ok = TRUE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      *ok = FALSE;
      return NULL;
    }
  return json_node_get_string (node);
}

SkCart *
sk_cart_from_json (JsonObject *object, GError **error)
{
  g_autoptr (SkCart) cart = NULL;
  JsonNode   *items;
  JsonArray  *array;
  const char *store_id;
  gboolean    ok;

  g_return_val_if_fail (object != NULL, NULL);

  store_id = json_get_string_member (object, "store_id", &ok);
  if (!ok)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "store_id", "“store_id” must be a string");
      return NULL;
    }
  cart = sk_cart_new (store_id);

  items = json_object_get_member (object, "items");
  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "items", "“items” must be a list of lines");
      return NULL;
    }
  array = json_node_get_array (items);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode   *node = json_array_get_element (array, i);
      JsonObject *item;
      const char *names[] = { "sku", "name", "category" };
      const char *values[3];
      const char *numbers[] = { "unit_price", "quantity" };
      gint64      ints[2];

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autofree char *field = g_strdup_printf ("items[%u]", i);
          sk_set_field_error (error, SK_ERROR_MALFORMED, field, "Each item must be an object");
          return NULL;
        }
      item = json_node_get_object (node);
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        {
          values[k] = json_get_string_member (item, names[k], &ok);
          if (!ok)
            {
              g_autofree char *field = g_strdup_printf ("items[%u].%s", i, names[k]);
              sk_set_field_error (error, SK_ERROR_MALFORMED, field, "“%s” must be a string", field);
              return NULL;
            }
        }
      for (guint k = 0; k < G_N_ELEMENTS (numbers); k++)
        {
          JsonNode *n = json_object_get_member (item, numbers[k]);

          if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
              || json_node_get_value_type (n) != G_TYPE_INT64)
            {
              g_autofree char *field = g_strdup_printf ("items[%u].%s", i, numbers[k]);
              sk_set_field_error (error, SK_ERROR_MALFORMED, field, "“%s” must be a whole number",
                                  field);
              return NULL;
            }
          ints[k] = json_node_get_int (n);
        }
      sk_cart_add_line (cart, values[0], values[1], values[2], ints[0], ints[1]);
    }
  return g_steal_pointer (&cart);
}

/* Customer */

SkEngineCustomer *
sk_engine_customer_new (const char *id, const char *segment)
{
  SkEngineCustomer *customer = g_new0 (SkEngineCustomer, 1);

  customer->id = g_strdup (id);
  customer->segment = g_strdup (segment);
  customer->rule_uses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return customer;
}

void
sk_engine_customer_set_uses (SkEngineCustomer *customer, const char *rule_id, gint64 uses)
{
  g_return_if_fail (customer != NULL && rule_id != NULL);
  g_hash_table_insert (customer->rule_uses, g_strdup (rule_id), g_memdup2 (&uses, sizeof uses));
}

gint64
sk_engine_customer_get_uses (const SkEngineCustomer *customer, const char *rule_id)
{
  const gint64 *uses;

  if (customer == NULL || rule_id == NULL)
    return 0;
  uses = g_hash_table_lookup (customer->rule_uses, rule_id);
  return uses != NULL ? *uses : 0;
}

void
sk_engine_customer_free (SkEngineCustomer *customer)
{
  if (customer == NULL)
    return;
  g_free (customer->id);
  g_free (customer->segment);
  g_hash_table_unref (customer->rule_uses);
  g_free (customer);
}

gboolean
sk_campaign_is_live (SkCampaign *campaign, gint64 now)
{
  g_return_val_if_fail (SK_IS_CAMPAIGN (campaign), FALSE);

  if (g_strcmp0 (campaign->status, "active") != 0 && g_strcmp0 (campaign->status, "scheduled") != 0)
    return FALSE;
  if (campaign->starts_at != SK_TIME_NONE && now < campaign->starts_at)
    return FALSE;
  if (campaign->ends_at != SK_TIME_NONE && now >= campaign->ends_at)
    return FALSE;
  return TRUE;
}

gint64
sk_campaign_budget_left (SkCampaign *campaign)
{
  g_return_val_if_fail (SK_IS_CAMPAIGN (campaign), 0);

  if (campaign->budget <= 0)
    return G_MAXINT64;
  /* Compared before subtracting: spent comes from the database. */
  return campaign->spent >= campaign->budget ? 0 : campaign->budget - MAX (campaign->spent, 0);
}

gboolean
sk_campaign_can_take_part (SkCampaign *campaign, gint64 now, GError **why)
{
  g_return_val_if_fail (SK_IS_CAMPAIGN (campaign), FALSE);

  if (g_strcmp0 (campaign->status, "active") != 0 && g_strcmp0 (campaign->status, "scheduled") != 0)
    {
      sk_set_field_error (why, SK_ERROR_INVALID, "status",
                          _ ("Only a scheduled or an active campaign can be taken part in"));
      return FALSE;
    }
  if (sk_campaign_budget_left (campaign) == 0)
    {
      sk_set_field_error (why, SK_ERROR_INVALID, "budget",
                          _ ("The campaign's budget is used up: it gives nothing more"));
      return FALSE;
    }
  if (campaign->ends_at != SK_TIME_NONE && now >= campaign->ends_at)
    {
      sk_set_field_error (why, SK_ERROR_INVALID, "ends_at", _ ("The campaign is over"));
      return FALSE;
    }
  return TRUE;
}

/* The engine */

typedef enum
{
  KIND_OTHER,
  KIND_PERCENTAGE,
  KIND_FIXED,
  KIND_MULTIPLIER,
} RuleKind;

typedef struct
{
  SkDiscountRule *rule;
  RuleKind        kind;
  SkRejectCode    code;
  gint64          detail;
  gint64          base; /* sum of its lines' totals */
  int            *cats; /* cart category indexes of its categories; NULL = all lines */
  guint           n_cats;
  SkCampaign     *campaign;
} RuleState;

typedef struct
{
  const SkCart *cart;
  gint64       *line_totals;
  int          *line_cat; /* category index per line */
  guint         n_lines;
  GHashTable   *campaign_left; /* SkCampaign* -> gint64* budget left in this cart */
} Ctx;

static int
compare_rules (gconstpointer a, gconstpointer b)
{
  const SkDiscountRule *ra = *(SkDiscountRule *const *)a;
  const SkDiscountRule *rb = *(SkDiscountRule *const *)b;

  if (ra->priority != rb->priority)
    return ra->priority > rb->priority ? -1 : 1;
  return g_strcmp0 (ra->id, rb->id);
}

/* @rules in the one order they are judged, whatever order they come in. A
 * borrowed view: g_ptr_array_copy would inherit the caller's free func and
 * drop references the engine never took. */
static GPtrArray *
rules_in_order (GPtrArray *rules)
{
  GPtrArray *sorted = g_ptr_array_sized_new (rules->len);

  g_ptr_array_extend (sorted, rules, NULL, NULL);
  g_ptr_array_sort (sorted, compare_rules);
  return sorted;
}

/* @campaigns by id, borrowed; NULL without campaigns. */
static GHashTable *
campaigns_by_id (GPtrArray *campaigns)
{
  GHashTable *by_id;

  if (campaigns == NULL)
    return NULL;
  by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < campaigns->len; i++)
    {
      SkCampaign *campaign = g_ptr_array_index (campaigns, i);

      if (campaign->id != NULL)
        g_hash_table_insert (by_id, campaign->id, campaign);
    }
  return by_id;
}

static RuleKind
rule_kind (const SkDiscountRule *rule)
{
  if (g_strcmp0 (rule->type, SK_RULE_PERCENTAGE) == 0)
    return KIND_PERCENTAGE;
  if (g_strcmp0 (rule->type, SK_RULE_FIXED_AMOUNT) == 0)
    return KIND_FIXED;
  if (g_strcmp0 (rule->type, SK_RULE_BONUS_MULTIPLIER) == 0)
    return KIND_MULTIPLIER;
  return KIND_OTHER;
}

static gboolean
strv_empty (char **strv)
{
  return strv == NULL || strv[0] == NULL;
}

static gboolean
line_matches (const RuleState *state, const Ctx *ctx, guint line)
{
  if (state->cats == NULL)
    return TRUE;
  for (guint k = 0; k < state->n_cats; k++)
    if (state->cats[k] == ctx->line_cat[line])
      return TRUE;
  return FALSE;
}

typedef struct
{
  unsigned __int128 remainder;
  guint             line;
} Remainder;

/* Spreads @amount over the lines @state covers in proportion to @weights,
 * by largest remainder, so the parts add up to @amount exactly. */
static void
allocate (const RuleState *state, const Ctx *ctx, const gint64 *weights, gint64 amount, gint64 *out)
{
  g_autofree Remainder *remainders = NULL;
  guint                 n_remainders = 0;
  gint64                total_weight = 0;
  gint64                given = 0;

  for (guint i = 0; i < ctx->n_lines; i++)
    {
      out[i] = 0;
      if (line_matches (state, ctx, i))
        total_weight += weights[i];
    }
  if (amount == 0 || total_weight == 0)
    return;

  remainders = g_new (Remainder, ctx->n_lines);
  for (guint i = 0; i < ctx->n_lines; i++)
    {
      unsigned __int128 product;
      unsigned __int128 remainder;

      if (weights[i] == 0 || !line_matches (state, ctx, i))
        continue;
      product = (unsigned __int128)amount * (unsigned __int128)weights[i];
      out[i] = (gint64)(product / (unsigned __int128)total_weight);
      remainder = product % (unsigned __int128)total_weight;
      given += out[i];
      if (remainder > 0)
        remainders[n_remainders++] = (Remainder){ remainder, i };
    }

  /* The kopecks left, fewer than the lines with a remainder, go one each to
   * the largest remainders; ties to the earlier line. An insertion sort:
   * stable, and quick for the few dozen lines of a cart. */
  g_assert (amount - given <= n_remainders);
  if (given < amount)
    {
      for (guint k = 1; k < n_remainders; k++)
        {
          Remainder item = remainders[k];
          guint     j = k;

          for (; j > 0 && remainders[j - 1].remainder < item.remainder; j--)
            remainders[j] = remainders[j - 1];
          remainders[j] = item;
        }
      for (guint k = 0; given < amount; k++, given++)
        out[remainders[k].line]++;
    }
}

static gint64
campaign_budget_left (Ctx *ctx, SkCampaign *campaign)
{
  gint64 *left;

  if (campaign == NULL || campaign->budget <= 0)
    return G_MAXINT64;
  left = g_hash_table_lookup (ctx->campaign_left, campaign);
  if (left == NULL)
    {
      gint64 initial = sk_campaign_budget_left (campaign);

      left = g_memdup2 (&initial, sizeof initial);
      g_hash_table_insert (ctx->campaign_left, campaign, left);
    }
  return *left;
}

/* The money a rule gives on @base, before the campaign budget. */
static gint64
rule_discount (const RuleState *state, gint64 base)
{
  const SkDiscountRule *rule = state->rule;
  gint64                d;

  if (state->kind == KIND_PERCENTAGE)
    d = sk_muldiv (base, CLAMP (rule->value, 0, 10000), 10000);
  else
    d = CLAMP (rule->value, 0, base);
  if (rule->max_discount > 0)
    d = MIN (d, rule->max_discount);
  return d;
}

/* Categories match whatever their case ("Toys" is "toys", "ИГРУШКИ" is
 * "игрушки"): a rule typed with another spelling than the product list
 * still finds its lines. Compared character by character, no copies. */
static guint
category_hash (gconstpointer key)
{
  guint h = 5381;

  for (const char *p = key; *p != '\0'; p = g_utf8_next_char (p))
    h = h * 33 + g_unichar_tolower (g_utf8_get_char (p));
  return h;
}

static gboolean
category_equal (gconstpointer a, gconstpointer b)
{
  const char *p = a, *q = b;

  while (*p != '\0' && *q != '\0')
    {
      if (g_unichar_tolower (g_utf8_get_char (p)) != g_unichar_tolower (g_utf8_get_char (q)))
        return FALSE;
      p = g_utf8_next_char (p);
      q = g_utf8_next_char (q);
    }
  return *p == *q;
}

static void
check_eligibility (RuleState              *state,
                   Ctx                    *ctx,
                   const SkEngineCustomer *customer,
                   GHashTable             *campaigns,
                   GHashTable             *cat_index,
                   const gint64           *cat_sums,
                   gint64                  subtotal,
                   gint64                  now)
{
  SkDiscountRule *rule = state->rule;

  state->code = SK_REJECT_NONE;
  state->kind = rule_kind (rule);

  if (!rule->is_active || state->kind == KIND_OTHER)
    {
      state->code = SK_REJECT_INACTIVE;
      return;
    }
  if (rule->valid_from != SK_TIME_NONE && now < rule->valid_from)
    {
      state->code = SK_REJECT_NOT_STARTED;
      state->detail = rule->valid_from;
      return;
    }
  if (rule->valid_until != SK_TIME_NONE && now >= rule->valid_until)
    {
      state->code = SK_REJECT_EXPIRED;
      state->detail = rule->valid_until;
      return;
    }
  if (rule->campaign_id != NULL && *rule->campaign_id != '\0')
    {
      state->campaign = campaigns ? g_hash_table_lookup (campaigns, rule->campaign_id) : NULL;
      if (state->campaign == NULL || !sk_campaign_is_live (state->campaign, now))
        {
          state->code = SK_REJECT_CAMPAIGN_INACTIVE;
          return;
        }
      /* A spent budget stops every rule of the campaign, multipliers too. */
      if (campaign_budget_left (ctx, state->campaign) == 0)
        {
          state->code = SK_REJECT_CAMPAIGN_BUDGET_SPENT;
          return;
        }
    }
  if (!strv_empty (rule->store_ids)
      && !g_strv_contains ((const char *const *)rule->store_ids, ctx->cart->store_id))
    {
      state->code = SK_REJECT_STORE;
      return;
    }
  if (!strv_empty (rule->segments))
    {
      if (customer == NULL)
        {
          state->code = SK_REJECT_ANONYMOUS;
          return;
        }
      if (customer->segment == NULL
          || !g_strv_contains ((const char *const *)rule->segments, customer->segment))
        {
          state->code = SK_REJECT_SEGMENT;
          return;
        }
    }
  if (rule->usage_limit_total > 0 && rule->uses >= rule->usage_limit_total)
    {
      state->code = SK_REJECT_USAGE_LIMIT_TOTAL;
      state->detail = rule->usage_limit_total;
      return;
    }
  if (rule->usage_limit_per_customer > 0)
    {
      /* A per-customer limit cannot be kept for someone we do not know. */
      if (customer == NULL)
        {
          state->code = SK_REJECT_ANONYMOUS;
          return;
        }
      if (sk_engine_customer_get_uses (customer, rule->id) >= rule->usage_limit_per_customer)
        {
          state->code = SK_REJECT_USAGE_LIMIT_CUSTOMER;
          state->detail = rule->usage_limit_per_customer;
          return;
        }
    }

  /* Without a cart (available discounts), what the cart decides is open. */
  if (cat_index == NULL)
    return;
  if (strv_empty (rule->categories))
    state->base = subtotal;
  else
    {
      guint n = g_strv_length (rule->categories);

      state->cats = g_new (int, n);
      state->n_cats = 0;
      state->base = 0;
      for (guint k = 0; k < n; k++)
        {
          gpointer idx;
          gboolean seen = FALSE;

          if (!g_hash_table_lookup_extended (cat_index, rule->categories[k], NULL, &idx))
            continue;
          for (guint j = 0; j < state->n_cats; j++)
            seen |= state->cats[j] == GPOINTER_TO_INT (idx);
          if (seen)
            continue;
          state->cats[state->n_cats++] = GPOINTER_TO_INT (idx);
          state->base += cat_sums[GPOINTER_TO_INT (idx)];
        }
      if (state->n_cats == 0)
        {
          state->code = SK_REJECT_NO_MATCHING_ITEMS;
          return;
        }
    }
  if (state->base < rule->min_purchase)
    {
      state->code = SK_REJECT_MIN_PURCHASE;
      state->detail = rule->min_purchase;
      return;
    }
}

static void
add_applied (
    SkEngineResult *result, SkDiscountRule *rule, gint64 amount, const gint64 *split, guint n_lines)
{
  SkEngineApplied applied = { g_object_ref (rule), amount };
  GArray         *copy = g_array_sized_new (FALSE, TRUE, sizeof (gint64), n_lines);

  if (split != NULL)
    g_array_append_vals (copy, split, n_lines);
  else
    g_array_set_size (copy, n_lines);
  g_array_append_val (result->applied, applied);
  g_ptr_array_add (result->applied_splits, copy);
}

static void
add_rejected (SkEngineResult *result, SkDiscountRule *rule, SkRejectCode code, gint64 detail)
{
  SkEngineRejected rejected = { g_object_ref (rule), code, detail };

  g_array_append_val (result->rejected, rejected);
}

SkEngineResult *
sk_discount_engine_calculate (const SkCart           *cart,
                              const SkEngineCustomer *customer,
                              GPtrArray              *rules,
                              GPtrArray              *campaigns,
                              gint64                  now)
{
  g_autoptr (GHashTable) cat_index = NULL;
  g_autoptr (GHashTable) campaign_by_id = NULL;
  g_autoptr (GPtrArray) sorted = NULL;
  g_autofree gint64    *cat_sums = NULL;
  g_autofree RuleState *states = NULL;
  g_autofree gint64    *remaining = NULL;
  g_autofree gint64    *split = NULL;
  g_autofree gint64    *stack_amounts = NULL;
  g_autoptr (GArray) stack_rules = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GPtrArray) stack_splits
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref);
  SkEngineResult *result;
  Ctx             ctx = { 0 };
  guint           n_rules;
  guint           n_cats = 0;
  gint64          stack_total = 0;
  gint            best_single = -1;
  gint64          best_single_amount = 0;
  gint            first_stacked = -1;
  gint            best_multiplier = -1;
  gboolean        use_stack;

  g_return_val_if_fail (cart != NULL, NULL);
  g_return_val_if_fail (rules != NULL, NULL);

  result = g_new0 (SkEngineResult, 1);
  result->applied = g_array_new (FALSE, TRUE, sizeof (SkEngineApplied));
  result->rejected = g_array_new (FALSE, TRUE, sizeof (SkEngineRejected));
  result->applied_splits = g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref);
  result->line_totals = g_array_sized_new (FALSE, TRUE, sizeof (gint64), cart->lines->len);
  result->line_discounts = g_array_sized_new (FALSE, TRUE, sizeof (gint64), cart->lines->len);
  g_array_set_size (result->line_totals, cart->lines->len);
  g_array_set_size (result->line_discounts, cart->lines->len);
  result->bonus_multiplier = 100;

  ctx.cart = cart;
  ctx.n_lines = cart->lines->len;
  ctx.line_totals = (gint64 *)(gpointer)result->line_totals->data;
  ctx.line_cat = g_new (int, MAX (1, ctx.n_lines));
  ctx.campaign_left = g_hash_table_new_full (NULL, NULL, NULL, g_free);

  /* Line totals and per-category sums, so a rule's base costs a few lookups. */
  cat_index = g_hash_table_new (category_hash, category_equal);
  cat_sums = g_new0 (gint64, MAX (1, ctx.n_lines));
  for (guint i = 0; i < ctx.n_lines; i++)
    {
      const SkCartLine *line = &g_array_index (cart->lines, SkCartLine, i);
      const char       *category = line->category ? line->category : "";
      gpointer          idx;

      ctx.line_totals[i] = line->unit_price * line->quantity;
      result->subtotal += ctx.line_totals[i];
      if (!g_hash_table_lookup_extended (cat_index, category, NULL, &idx))
        {
          idx = GINT_TO_POINTER (n_cats++);
          g_hash_table_insert (cat_index, (gpointer)category, idx);
        }
      ctx.line_cat[i] = GPOINTER_TO_INT (idx);
      cat_sums[GPOINTER_TO_INT (idx)] += ctx.line_totals[i];
    }

  campaign_by_id = campaigns_by_id (campaigns);
  sorted = rules_in_order (rules);
  n_rules = sorted->len;
  states = g_new0 (RuleState, MAX (1, n_rules));

  for (guint r = 0; r < n_rules; r++)
    {
      states[r].rule = g_ptr_array_index (sorted, r);
      check_eligibility (&states[r], &ctx, customer, campaign_by_id, cat_index, cat_sums,
                         result->subtotal, now);
    }

  /* Stackable money rules, in order, each on what its lines still cost. */
  remaining = g_memdup2 (ctx.line_totals, sizeof (gint64) * MAX (1, ctx.n_lines));
  split = g_new0 (gint64, MAX (1, ctx.n_lines));
  stack_amounts = g_new0 (gint64, MAX (1, n_rules));
  for (guint r = 0; r < n_rules; r++)
    {
      RuleState *state = &states[r];
      gint64     base = 0;
      gint64     d;
      gint64    *left;

      if (state->code != SK_REJECT_NONE || state->kind == KIND_MULTIPLIER
          || !state->rule->stackable)
        continue;
      for (guint i = 0; i < ctx.n_lines; i++)
        if (line_matches (state, &ctx, i))
          base += remaining[i];
      d = MIN (rule_discount (state, base), campaign_budget_left (&ctx, state->campaign));
      stack_amounts[r] = d;
      if (d == 0)
        continue;
      allocate (state, &ctx, remaining, d, split);
      for (guint i = 0; i < ctx.n_lines; i++)
        remaining[i] -= split[i];
      /* Keep the split: if the stack wins, it is the result. */
      g_array_append_val (stack_rules, r);
      g_ptr_array_add (
          stack_splits,
          g_array_append_vals (g_array_sized_new (FALSE, FALSE, sizeof (gint64), ctx.n_lines),
                               split, ctx.n_lines));
      left = state->campaign ? g_hash_table_lookup (ctx.campaign_left, state->campaign) : NULL;
      if (left != NULL)
        *left -= d;
      stack_total += d;
      if (first_stacked < 0)
        first_stacked = r;
    }

  /* Exclusive rules, each alone on the full cart: the best one. */
  g_hash_table_remove_all (ctx.campaign_left);
  for (guint r = 0; r < n_rules; r++)
    {
      RuleState *state = &states[r];
      gint64     d;

      if (state->code != SK_REJECT_NONE || state->kind == KIND_MULTIPLIER || state->rule->stackable)
        continue;
      d = MIN (rule_discount (state, state->base), campaign_budget_left (&ctx, state->campaign));
      stack_amounts[r] = d;
      if (d > best_single_amount)
        {
          best_single = r;
          best_single_amount = d;
        }
    }

  /* The customer gets the larger; on a tie the higher priority, then the
   * lower id, which is the earlier rule in sorted order. */
  use_stack = stack_total > 0
              && (best_single < 0 || stack_total > best_single_amount
                  || (stack_total == best_single_amount && first_stacked < best_single));

  if (use_stack)
    {
      for (guint k = 0; k < stack_rules->len; k++)
        {
          guint         r = g_array_index (stack_rules, guint, k);
          const gint64 *rule_split
              = (const gint64 *)(gpointer)((GArray *)g_ptr_array_index (stack_splits, k))->data;

          for (guint i = 0; i < ctx.n_lines; i++)
            g_array_index (result->line_discounts, gint64, i) += rule_split[i];
          add_applied (result, states[r].rule, stack_amounts[r], rule_split, ctx.n_lines);
          result->discount_total += stack_amounts[r];
        }
    }
  else if (best_single >= 0)
    {
      RuleState *state = &states[best_single];

      allocate (state, &ctx, ctx.line_totals, best_single_amount, split);
      for (guint i = 0; i < ctx.n_lines; i++)
        g_array_index (result->line_discounts, gint64, i) = split[i];
      add_applied (result, state->rule, best_single_amount, split, ctx.n_lines);
      result->discount_total = best_single_amount;
    }

  /* The highest eligible multiplier scales the accrual. */
  for (guint r = 0; r < n_rules; r++)
    if (states[r].code == SK_REJECT_NONE && states[r].kind == KIND_MULTIPLIER
        && (best_multiplier < 0 || states[r].rule->value > states[best_multiplier].rule->value))
      best_multiplier = r;
  if (best_multiplier >= 0)
    {
      result->bonus_multiplier = states[best_multiplier].rule->value;
      add_applied (result, states[best_multiplier].rule, 0, NULL, ctx.n_lines);
    }

  /* Everything not applied, and why. */
  for (guint r = 0; r < n_rules; r++)
    {
      RuleState   *state = &states[r];
      SkRejectCode code = state->code;

      if (code == SK_REJECT_NONE)
        {
          if (state->kind == KIND_MULTIPLIER)
            code = (gint)r == best_multiplier ? SK_REJECT_NONE : SK_REJECT_LOWER_MULTIPLIER;
          else if (stack_amounts[r] == 0)
            code = SK_REJECT_ZERO_DISCOUNT;
          else if (state->rule->stackable ? !use_stack : (use_stack || (gint)r != best_single))
            code = SK_REJECT_NOT_CHOSEN;
        }
      if (code != SK_REJECT_NONE)
        add_rejected (result, state->rule, code, state->detail);
      g_free (state->cats);
    }

  result->total = sk_payable (result->subtotal, result->discount_total);
  g_free (ctx.line_cat);
  g_hash_table_unref (ctx.campaign_left);
  return result;
}

SkEngineResult *
sk_discount_engine_available (const char             *store_id,
                              const SkEngineCustomer *customer,
                              GPtrArray              *rules,
                              GPtrArray              *campaigns,
                              gint64                  now)
{
  g_autoptr (SkCart) cart = sk_cart_new (store_id);
  g_autoptr (GHashTable) campaign_by_id = campaigns_by_id (campaigns);
  g_autoptr (GPtrArray) sorted = NULL;
  SkEngineResult *result;
  Ctx             ctx = { 0 };

  g_return_val_if_fail (store_id != NULL, NULL);
  g_return_val_if_fail (rules != NULL, NULL);

  result = g_new0 (SkEngineResult, 1);
  result->applied = g_array_new (FALSE, TRUE, sizeof (SkEngineApplied));
  result->rejected = g_array_new (FALSE, TRUE, sizeof (SkEngineRejected));
  result->applied_splits = g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref);
  result->line_totals = g_array_new (FALSE, TRUE, sizeof (gint64));
  result->line_discounts = g_array_new (FALSE, TRUE, sizeof (gint64));
  result->bonus_multiplier = 100;

  ctx.cart = cart;
  ctx.campaign_left = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  sorted = rules_in_order (rules);
  for (guint r = 0; r < sorted->len; r++)
    {
      RuleState state = { .rule = g_ptr_array_index (sorted, r) };

      check_eligibility (&state, &ctx, customer, campaign_by_id, NULL, NULL, 0, now);
      if (state.code == SK_REJECT_NONE)
        add_applied (result, state.rule, 0, NULL, 0);
      else
        add_rejected (result, state.rule, state.code, state.detail);
      g_free (state.cats);
    }
  g_hash_table_unref (ctx.campaign_left);
  return result;
}

void
sk_engine_result_free (SkEngineResult *result)
{
  if (result == NULL)
    return;
  for (guint i = 0; i < result->applied->len; i++)
    g_object_unref (g_array_index (result->applied, SkEngineApplied, i).rule);
  for (guint i = 0; i < result->rejected->len; i++)
    g_object_unref (g_array_index (result->rejected, SkEngineRejected, i).rule);
  g_array_unref (result->applied);
  g_array_unref (result->rejected);
  g_ptr_array_unref (result->applied_splits);
  g_array_unref (result->line_totals);
  g_array_unref (result->line_discounts);
  g_free (result);
}

const char *
sk_reject_code_to_string (SkRejectCode code)
{
  switch (code)
    {
    case SK_REJECT_NONE:
      return "none";
    case SK_REJECT_INACTIVE:
      return "inactive";
    case SK_REJECT_NOT_STARTED:
      return "not_started";
    case SK_REJECT_EXPIRED:
      return "expired";
    case SK_REJECT_CAMPAIGN_INACTIVE:
      return "campaign_inactive";
    case SK_REJECT_CAMPAIGN_BUDGET_SPENT:
      return "campaign_budget_spent";
    case SK_REJECT_STORE:
      return "store";
    case SK_REJECT_ANONYMOUS:
      return "anonymous";
    case SK_REJECT_SEGMENT:
      return "segment";
    case SK_REJECT_USAGE_LIMIT_TOTAL:
      return "usage_limit_total";
    case SK_REJECT_USAGE_LIMIT_CUSTOMER:
      return "usage_limit_per_customer";
    case SK_REJECT_NO_MATCHING_ITEMS:
      return "no_matching_items";
    case SK_REJECT_MIN_PURCHASE:
      return "min_purchase";
    case SK_REJECT_ZERO_DISCOUNT:
      return "zero_discount";
    case SK_REJECT_NOT_CHOSEN:
      return "not_chosen";
    case SK_REJECT_LOWER_MULTIPLIER:
      return "lower_multiplier";
    default:
      return "unknown";
    }
}

char *
sk_reject_reason_to_string (const SkEngineRejected *rejected)
{
  g_autofree char *money = NULL;
  g_autofree char *when = NULL;

  g_return_val_if_fail (rejected != NULL, NULL);

  switch (rejected->code)
    {
    case SK_REJECT_INACTIVE:
      return g_strdup (_ ("rule is disabled"));
    case SK_REJECT_NOT_STARTED:
      when = sk_time_to_rfc3339 (rejected->detail);
      return g_strdup_printf (_ ("valid from %s"), when);
    case SK_REJECT_EXPIRED:
      when = sk_time_to_rfc3339 (rejected->detail);
      return g_strdup_printf (_ ("expired on %s"), when);
    case SK_REJECT_CAMPAIGN_INACTIVE:
      return g_strdup (_ ("its campaign is not running"));
    case SK_REJECT_CAMPAIGN_BUDGET_SPENT:
      return g_strdup (_ ("campaign budget spent"));
    case SK_REJECT_STORE:
      return g_strdup (_ ("not valid in this store"));
    case SK_REJECT_ANONYMOUS:
      return g_strdup (_ ("only for a registered customer"));
    case SK_REJECT_SEGMENT:
      return g_strdup (_ ("not for this customer's segment"));
    case SK_REJECT_USAGE_LIMIT_TOTAL:
      return g_strdup (_ ("usage limit reached"));
    case SK_REJECT_USAGE_LIMIT_CUSTOMER:
      return g_strdup (_ ("usage limit per customer reached"));
    case SK_REJECT_NO_MATCHING_ITEMS:
      return g_strdup (_ ("no items of its categories"));
    case SK_REJECT_MIN_PURCHASE:
      money = sk_money_format (rejected->detail);
      return g_strdup_printf (_ ("min purchase %s not reached"), money);
    case SK_REJECT_ZERO_DISCOUNT:
      return g_strdup (_ ("gives no discount on this cart"));
    case SK_REJECT_NOT_CHOSEN:
      return g_strdup (_ ("a better discount applies"));
    case SK_REJECT_LOWER_MULTIPLIER:
      return g_strdup (_ ("a higher bonus multiplier applies"));
    case SK_REJECT_NONE:
    default:
      return g_strdup ("");
    }
}
