/*
 * render_workers.c - prints what a scrape of a server with three worker
 * processes returns (ws_metrics_render() with worker labels, and the
 * node's broker families once, unlabelled), so that
 * 01_format.sh can validate the labelled form with promtool and the
 * OpenMetrics parser before the workers exist.  Usage: render_workers text|om
 */
#include <stdio.h>
#include <string.h>

#include "ws_alloc.h"
#include "ws_metrics.h"

int main(int argc, char **argv)
{
	ws_metrics_t w[3];
	const ws_metrics_t *snaps[3];
	int ids[3] = { 0, 1, 2 };
	for (int i = 0; i < 3; i++) {
		ws_metrics_init(&w[i]);
		w[i].connections_accepted = 10u * (unsigned)(i + 1);
		w[i].closes[WS_MSIDE_SERVER][ws_metrics_close_index(1008)] = (unsigned)i;
		w[i].connections_open = (unsigned)i;
		ws_metrics_observe(&w[i].handler[WS_MEV_MESSAGE], 1500u * (unsigned)(i + 1));
		ws_metrics_observe(&w[i].loop_iteration, 25000000u);
		/* Every worker carries its node's broker state: rendered once. */
		w[i].broker_configured = w[i].broker_connected = 1;
		w[i].broker_reconnects = 2;
		snaps[i] = &w[i];
	}
	char *out;
	size_t len;
	if (argc != 2 || ws_metrics_render(snaps, ids, 3, strcmp(argv[1], "om") == 0, &out, &len) != 0) {
		return 1;
	}
	fwrite(out, 1, len, stdout);
	ws_free(out);
	return 0;
}
