/* sk-checkout-view-private.h: the till's instance struct, shared by its
 * files: sk-checkout-view.c (the sale, cart and panel) and
 * sk-checkout-scan.c (the scan field and the scanner's keys).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-checkout-view.h"
#include "sk-sale.h"

G_BEGIN_DECLS

/* A scanner types a code's characters a few milliseconds apart and ends
 * with Enter; a person types slower. Keys closer than this are one burst. */
#define SK_SCAN_KEY_GAP_MS 50
/* Codes are longer than a quantity or an amount someone types. */
#define SK_SCAN_MIN_CHARS 5
/* The room an item's name is given in the cart, in px, however narrow the
 * screen: a phone's 360 px leave it this beside the line's total. */
#define SK_CART_NAME_WIDTH 180

struct _SkCheckoutView
{
  AdwBin parent_instance;

  AdwLeaflet        *leaflet;
  GtkEntry          *scan_entry;
  GtkLabel          *scan_message;
  AdwActionRow      *customer_row;
  GtkWidget         *clear_customer_button;
  GtkWidget         *register_button;
  GtkWidget         *new_product_button;
  GtkWidget         *import_products_button;
  GtkDropDown       *product_dropdown;
  GtkExpander       *free_expander;
  GtkEntry          *name_entry;
  GtkEntry          *category_entry;
  GtkEntry          *price_entry;
  GtkSpinButton     *quantity_spin;
  GtkStack          *cart_stack;
  GtkColumnView     *cart_view;
  GtkLabel          *narrow_total_label;
  GtkStack          *panel_stack;
  GtkScrolledWindow *sale_scroller; /* the sale's figures beside the cart */
  GtkLabel          *subtotal_label;
  GtkListBox        *applied_list;
  GtkWidget         *rejected_box;
  AdwExpanderRow    *rejected_row;
  GPtrArray         *rejected_rows; /* the rows added under rejected_row */
  GtkWidget         *bonus_box;
  AdwActionRow      *spend_row;
  GtkWidget         *spend_controls;     /* the spin and Max: spend_row's end, or on a phone */
  GtkListBoxRow     *spend_controls_row; /* their row under spend_row */
  GtkSpinButton     *bonus_spin;
  GtkLabel          *earn_label;
  GtkLabel          *total_label;
  GtkWidget         *pay_button;
  GtkLabel          *receipt_label;
  GtkWidget         *email_receipt_button;

  /* Owned by cart_view; where it gives way, the item's cells show the
   * quantity. */
  GtkColumnViewColumn *quantity_column;

  SkSale *sale; /* the lines, customer, store and figures */
  /* The sale Ctrl+N (New Sale) dropped, until the next one: Undo brings it
   * back into an empty cart. */
  SkCart       *dropped_cart;
  SkCustomer   *dropped_customer;
  gint64        dropped_bonus;
  GPtrArray    *products; /* SkProduct, parallel to the dropdown */
  SkPurchase   *last_purchase;
  SkCustomer   *last_customer; /* as the last sale left them, for its receipt */
  gint64        recompute_usec;
  char         *panel_key; /* what the discount lists show now */
  gint64        engine_usec;
  gint64        bonus_asked; /* the spend last asked for, to tell when it was cut */
  gboolean      loaded;
  gboolean      paying;
  gboolean      updating_spin;
  GCancellable *cancellable; /* the view's reads and its sale */

  /* Pricing runs on a worker. Each recompute bumps the serial; only the
   * answer for the current serial (the lines as they are) is applied. */
  guint         calc_serial;
  gboolean      calculating;
  gint64        calc_started; /* when the awaited answer was asked for */
  GCancellable *calc_cancellable;
  /* F12 while pricing: the sale is paid when its answer is in. */
  gboolean pay_queued;

  /* A burst of fast keys typed into a field other than the scan field:
   * when it ends with Enter it was a scan, and the field gets its text
   * back (sk-checkout-scan.c). */
  GString   *burst;
  guint32    burst_time;
  GtkWidget *burst_widget; /* compared, never dereferenced */
  char      *burst_before; /* the field's text before the burst */
  char      *unknown_code; /* the last code that named nothing, for a new product */
};

/* sk-checkout-view.c */
void       _sk_checkout_view_focus_scan (SkCheckoutView *self);
SkProduct *_sk_checkout_view_find_product (SkCheckoutView *self, const char *code);
void       _sk_checkout_view_add_product (SkCheckoutView *self, SkProduct *product);
void       _sk_checkout_view_leave_receipt (SkCheckoutView *self);
void       _sk_checkout_view_set_unknown_code (SkCheckoutView *self, const char *code);
/* Sells @quantity of the line at @position, asking first above the
 * mis-scan limit as a quantity typed in its cell does. */
void _sk_checkout_view_sell_quantity (SkCheckoutView *self, guint position, gint64 quantity);

/* sk-checkout-scan.c */
void _sk_checkout_view_scan_message (SkCheckoutView *self, gboolean error, const char *message);
void _sk_checkout_view_burst_clear (SkCheckoutView *self);

/* Imports the price list in @file (a CSV file, sk-products-csv.h): a toast
 * with the counts, or a dialog with what is wrong in it. */
void _sk_checkout_view_import_products (SkCheckoutView *self, GFile *file);

G_END_DECLS
