/* sk-window.h: the main window.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-application.h"

G_BEGIN_DECLS

#define SK_TYPE_WINDOW (sk_window_get_type ())
G_DECLARE_FINAL_TYPE (SkWindow, sk_window, SK, WINDOW, AdwApplicationWindow)

SkWindow *sk_window_new (SkApplication *app);
/* "checkout", "customers", "rules", "campaigns", "charts" */
void       sk_window_show_view (SkWindow *self, const char *name);
GtkWidget *sk_window_get_view (SkWindow *self, const char *name);
void       sk_window_add_toast (SkWindow *self, const char *message);
/* TRUE while the first-run page is shown. */
gboolean sk_window_is_welcome (SkWindow *self);

G_END_DECLS
