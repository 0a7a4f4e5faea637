/*
 * bench/peers/uws-peer.cpp - the uWebSockets peer of examples/echo.php and
 * examples/pubsub.php, for bench/run.sh.
 *
 *   uws-peer echo PORT      every message comes back to its sender, with its type
 *   uws-peer pubsub PORT    every client subscribes to the topic "all"; every
 *                           message a client sends is published to "all", the
 *                           sender included (App::publish, not WebSocket::publish,
 *                           which would leave the sender out)
 *
 * Plain ws:// on 127.0.0.1 only, permessage-deflate off (uWS::DISABLED), one
 * thread. Messages up to 16 MiB and up to 16 MiB queued per connection, as
 * the Node ws peer allows, so that neither the 64 KiB echo nor a fan-out
 * burst is refused or dropped (uWS's defaults are 16 KiB and 64 KiB).
 *
 *   uws-peer --version      prints UWS_PEER_VERSION, a string given at build
 *                           time (-DUWS_PEER_VERSION="..."), or "unknown"
 *
 * This repository ships no way to build it: compile it yourself against
 * uWebSockets (src/) and uSockets (src/, without SSL) and point bench/run.sh
 * to the binary with UWS_PEER=/path/to/uws-peer (bench/README.md).
 */
#include "App.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

struct PerSocket {
};

uWS::App::WebSocketBehavior<PerSocket> behavior()
{
	uWS::App::WebSocketBehavior<PerSocket> b;
	b.compression = uWS::DISABLED;
	b.maxPayloadLength = 16 * 1024 * 1024;
	b.maxBackpressure = 16 * 1024 * 1024;
	b.closeOnBackpressureLimit = false;
	return b;
}

int usage()
{
	std::fprintf(stderr, "usage: uws-peer echo|pubsub PORT\n");
	return 2;
}

} // namespace

#ifndef UWS_PEER_VERSION
#define UWS_PEER_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	if (argc == 2 && std::string_view(argv[1]) == "--version") {
		std::printf("%s\n", UWS_PEER_VERSION);
		return 0;
	}
	if (argc != 3) {
		return usage();
	}
	std::string_view mode = argv[1];
	int port = std::atoi(argv[2]);
	if ((mode != "echo" && mode != "pubsub") || port <= 0 || port > 65535) {
		return usage();
	}

	uWS::App app;
	uWS::App *appp = &app;
	auto b = behavior();
	if (mode == "echo") {
		b.message = [](auto *ws, std::string_view message, uWS::OpCode opCode) {
			ws->send(message, opCode, false);
		};
	} else {
		b.open = [](auto *ws) {
			ws->subscribe("all");
		};
		b.message = [appp](auto *, std::string_view message, uWS::OpCode opCode) {
			appp->publish("all", message, opCode, false);
		};
	}
	app.ws<PerSocket>("/*", std::move(b));
	app.listen("127.0.0.1", port, [&](auto *listen_socket) {
		if (listen_socket) {
			std::fprintf(stderr, "uws-peer %.*s listening on ws://127.0.0.1:%d\n", (int)mode.size(), mode.data(), port);
		} else {
			std::fprintf(stderr, "uws-peer: cannot listen on 127.0.0.1:%d\n", port);
			std::exit(1);
		}
	});
	app.run();
	return 0;
}
