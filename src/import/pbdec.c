/* SPDX-License-Identifier: MIT */
/* stub */
typedef int pbdec_placeholder;
