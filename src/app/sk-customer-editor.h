/* sk-customer-editor.h: a window to register or edit a customer, with
 * validation (phone format, unique card and phone).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-record-editor.h"

G_BEGIN_DECLS

#define SK_TYPE_CUSTOMER_EDITOR (sk_customer_editor_get_type ())
G_DECLARE_FINAL_TYPE (SkCustomerEditor, sk_customer_editor, SK, CUSTOMER_EDITOR, SkRecordEditor)

/* @customer: NULL to register a new one. Emits "saved" (SkCustomer). */
SkCustomerEditor      *
sk_customer_editor_new (GtkWindow *parent, SkRepository *repository, SkCustomer *customer);
void sk_customer_editor_set_text (SkCustomerEditor *self, const char *field, const char *text);
/* A new customer's home store (the till's own, by default the one set in
 * the preferences). */
void sk_customer_editor_set_home_store (SkCustomerEditor *self, const char *store_id);
G_END_DECLS
