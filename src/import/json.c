/* SPDX-License-Identifier: MIT */
/* stub */
typedef int json_placeholder;
