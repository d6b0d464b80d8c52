/* sk-test-util.h: helpers the core's test programs share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

void sk_test_set_string (char **field, const char *value);
/* Removes a temporary folder and the files in it; asserts it could. */
void sk_test_remove_dir (const char *dir);
/* A stored customer with this name and phone. */
SkCustomer *sk_test_create_customer (SkDatabase *db, const char *full_name, const char *phone);
/* Makes every COMMIT that wrote a sync event fail, as a full disk or a
 * deferred constraint would: the event drags in a row whose deferred
 * foreign key points nowhere. */
void sk_test_break_commits (SkDatabase *db, gboolean broken);

G_END_DECLS
