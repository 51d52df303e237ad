/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What crosses between slip.c and rust/linux/slip.rs: ttys in bsdinet's
 * SLIP line discipline.
 */
#ifndef BSDINET_SLIP_H
#define BSDINET_SLIP_H

#include <linux/types.h>

struct bsdinet_sl;		/* a tty in the discipline: the line's sc_ttyp */
struct bsdinet_vnet;

/* In slip.c. */
int bsdinet_slip_init(void);
void bsdinet_slip_exit(void);
ssize_t bsdinet_sl_write(struct bsdinet_sl *sl, const u8 *buf, size_t len);
bool bsdinet_sl_idle(struct bsdinet_sl *sl);
struct bsdinet_vnet *bsdinet_sl_vnet(struct bsdinet_sl *sl);

/* In rust/linux/slip.rs. */
int bsdinet_sl_attach(struct bsdinet_sl *sl);
void bsdinet_sl_detach(struct bsdinet_sl *sl);
void bsdinet_sl_receive(struct bsdinet_sl *sl, const u8 *cp, const u8 *fp, size_t count);
void bsdinet_sl_wakeup(struct bsdinet_sl *sl);
int bsdinet_sl_unit(struct bsdinet_sl *sl);

#endif /* BSDINET_SLIP_H */
