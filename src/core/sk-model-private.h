/* sk-model-private.h: the instance structs, for the core's own fast paths
 * (engine, store); outside the core use properties.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-model.h"

G_BEGIN_DECLS

struct _SkStore
{
  SkRecord parent_instance;
  char    *id;
  char    *code;
  char    *name;
  char    *address;
  char    *timezone;
  gint64   bonus_rate;      /* basis points */
  gint64   max_bonus_share; /* basis points */
  gint64   version;
};

struct _SkChild
{
  SkRecord parent_instance;
  char    *name;
  char    *birth_date;
};

struct _SkCustomer
{
  SkRecord    parent_instance;
  char       *id;
  char       *card_number;
  char       *phone;
  char       *email;
  char       *full_name;
  char       *birth_date;
  gboolean    consent_email;
  gboolean    consent_sms;
  gboolean    consent_push;
  char       *home_store_id;
  gint64      created_at;
  gint64      visits;
  gint64      total_spent;
  gint64      last_purchase_at;
  char       *segment;
  gint64      bonus_balance;
  gboolean    flagged; /* negative balance after an offline sale: review */
  gint64      version;
  GListStore *children; /* SkChild */
};

struct _SkPurchaseLine
{
  SkRecord parent_instance;
  gint64   line_no;
  char    *sku;
  char    *name;
  char    *category;
  gint64   unit_price;
  gint64   quantity;
  gint64   discount;
  gint64   total;
  gint64   refunded_quantity;
};

struct _SkPurchase
{
  SkRecord parent_instance;
  char    *id;
  char    *customer_id;
  char    *store_id;
  gint64   created_at;
  gint64   subtotal;
  gint64   discount_total;
  gint64   bonus_spent;
  gint64   bonus_earned;
  gint64   total_paid;
  gint64   bonus_multiplier;
  char    *status; /* completed, partially_refunded, refunded */
  gint64   refunded_total;
  /* What returns took back: their share of the discount, the bonuses
   * earned taken back and the bonuses paid returned. */
  gint64 discount_refunded;
  gint64 bonus_reversed;
  gint64 bonus_returned;
  /* When this database last wrote it: the sale recorded (at HQ, when it
   * reached HQ) or a return of it taken; how a till asks HQ for what of
   * its store's sales it has not seen. */
  gint64      updated_at;
  GListStore *lines;        /* SkPurchaseLine */
  GListStore *applications; /* SkDiscountApplication */
};

struct _SkBonusTransaction
{
  SkRecord parent_instance;
  char    *id;
  char    *customer_id;
  char    *kind;
  gint64   amount;
  gint64   balance_after;
  char    *reason;
  char    *purchase_id;
  char    *store_id;
  gint64   created_at;
  gint64   expires_at;
};

struct _SkDiscountRule
{
  SkRecord parent_instance;
  char    *id;
  char    *name;
  char    *description;
  char    *type;
  gint64   value;
  gint64   min_purchase;
  gint64   max_discount; /* 0: no cap */
  char   **store_ids;
  char   **categories;
  char   **segments;
  gint64   usage_limit_total; /* 0: unlimited */
  gint64   usage_limit_per_customer;
  gint64   valid_from;
  gint64   valid_until;
  gboolean is_active;
  gint64   priority;
  gboolean stackable;
  char    *campaign_id;
  gint64   uses;
  gint64   version;
};

struct _SkDiscountApplication
{
  SkRecord parent_instance;
  char    *id;
  char    *purchase_id;
  char    *rule_id;
  char    *rule_name;
  char    *customer_id;
  char    *store_id;
  gint64   amount;
  gint64   amount_refunded; /* the share of @amount returns gave back */
  char    *campaign_id;     /* the campaign whose budget @amount is spent from */
  GArray  *line_amounts;    /* gint64: @amount on each line, in line order (NULL: not known) */
  gint64   created_at;
};

struct _SkSegmentAssignment
{
  SkRecord parent_instance;
  gint64   id;
  char    *customer_id;
  char    *segment;
  char    *previous_segment;
  gint64   assigned_at;
};

struct _SkCampaign
{
  SkRecord parent_instance;
  char    *id;
  char    *name;
  char    *description;
  gint64   starts_at;
  gint64   ends_at;
  char    *status;
  char   **segments;
  char   **store_ids;
  char   **channels;
  gint64   budget; /* 0: no budget */
  gint64   spent;
  char   **rule_ids;
  gint64   version;
};

struct _SkNotification
{
  SkRecord parent_instance;
  char    *id;
  char    *customer_id;
  char    *channel;
  char    *event;
  char    *recipient;
  char    *subject;
  char    *body;
  char    *status;
  char    *error;
  gint64   attempts;
  gint64   created_at;
  gint64   next_attempt_at;
  gint64   sent_at;
};

struct _SkProduct
{
  SkRecord parent_instance;
  char    *sku;
  char    *name;
  char    *category;
  gint64   price;
  char    *barcode; /* what a scanner reads (EAN-13...), unique; NULL: none */
  gint64   version;
};

G_END_DECLS
