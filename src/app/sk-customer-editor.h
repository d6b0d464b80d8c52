/* sk-customer-editor.h: a window to register or edit a customer, with
 * validation (phone format, unique card and phone).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-database.h"

G_BEGIN_DECLS

#define SK_TYPE_CUSTOMER_EDITOR (sk_customer_editor_get_type ())
G_DECLARE_FINAL_TYPE (SkCustomerEditor, sk_customer_editor, SK, CUSTOMER_EDITOR, AdwWindow)

/* @customer: NULL to register a new one. Emits "saved" (SkCustomer). */
SkCustomerEditor *sk_customer_editor_new    (GtkWindow        *parent,
                                             SkDatabase       *db,
                                             SkCustomer       *customer);
void              sk_customer_editor_set_text (SkCustomerEditor *self,
                                               const char       *field,
                                               const char       *text);
/* Validates and saves; on failure shows the message and returns FALSE. */
gboolean          sk_customer_editor_save   (SkCustomerEditor *self,
                                             GError          **error);

G_END_DECLS
