// UDP for the bridge (docs/bridge.md): endpoints, datagrams on loopback,
// timeouts, oversized datagrams, the rate limit.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "spikelink/udp.hpp"

using namespace spikelink;
using namespace std::chrono_literals;

TEST_CASE("udp: endpoints parse and refuse what they cannot use") {
  CHECK(udp::parse_endpoint("127.0.0.1:5005") == udp::Endpoint{"127.0.0.1", 5005});
  CHECK(udp::parse_endpoint("localhost:7") == udp::Endpoint{"127.0.0.1", 7});
  CHECK(udp::parse_endpoint("[::1]:9") == udp::Endpoint{"::1", 9});
  CHECK(udp::parse_endpoint("10.0.0.2", 5005) == udp::Endpoint{"10.0.0.2", 5005});
  CHECK(udp::parse_endpoint("[::1]:9").str() == "[::1]:9");
  CHECK_THROWS_WITH_AS(udp::parse_endpoint("10.0.0.2"), doctest::Contains("no port"), udp::Error);
  CHECK_THROWS_WITH_AS(udp::parse_endpoint("10.0.0.2:70000"), doctest::Contains("not 0..65535"), udp::Error);
  CHECK_THROWS_WITH_AS(udp::parse_endpoint("10.0.0.2:5x"), doctest::Contains("not 0..65535"), udp::Error);
  CHECK_THROWS_WITH_AS(udp::parse_endpoint("example.org:5005"), doctest::Contains("not an IP address"), udp::Error);
  CHECK_THROWS_WITH_AS(udp::parse_endpoint(":5005"), doctest::Contains("no host"), udp::Error);
  CHECK_THROWS_WITH_AS(udp::parse_endpoint("[::1:5"), doctest::Contains("closing ']'"), udp::Error);
}

TEST_CASE("udp: datagrams between two sockets on loopback, with their sender") {
  udp::Socket a(udp::Endpoint{"127.0.0.1", 0}), b(udp::Endpoint{"127.0.0.1", 0});
  CHECK(a.local().port != 0);
  CHECK(a.local().port != b.local().port);
  const std::vector<std::uint8_t> msg{1, 2, 3, 4, 5, 6, 7, 8};
  REQUIRE(a.send(b.local(), msg));
  const auto d = b.receive(1s);
  REQUIRE(d);
  CHECK(d->bytes == msg);
  CHECK(d->size == 8);
  CHECK(d->from == a.local());
  // Nothing more: the wait ends at its timeout.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(b.receive(20ms));
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 20ms);
  CHECK(waited < 1s);
  // An oversized datagram is received whole in size, its bytes cut at the limit.
  const std::vector<std::uint8_t> big(4000, 0xAB);
  REQUIRE(a.send(b.local(), big));
  const auto e = b.receive(1s);
  REQUIRE(e);
  CHECK(e->size == 4000);
  CHECK(e->bytes.size() == udp::kMaxDatagram);
}

TEST_CASE("udp: a datagram's time is when it arrived, not when it was read") {
  udp::Socket a(udp::Endpoint{"127.0.0.1", 0}), b(udp::Endpoint{"127.0.0.1", 0});
  const std::vector<std::uint8_t> msg{1};
  REQUIRE(a.send(b.local(), msg));
  std::this_thread::sleep_for(50ms);  // it waits in the socket
  const auto d = b.receive(1s);
  REQUIRE(d);
  const auto age = std::chrono::steady_clock::now() - d->at;
  CHECK(age >= 45ms);
  CHECK(age < 5s);
}

TEST_CASE("udp: a port in use is an error naming the address") {
  udp::Socket a(udp::Endpoint{"127.0.0.1", 0});
  CHECK_THROWS_WITH_AS(udp::Socket(a.local()), doctest::Contains("cannot listen on 127.0.0.1:"), udp::Error);
}

TEST_CASE("udp: the rate limit passes its rate and bursts, and no more") {
  udp::RateLimit r(1000, 10);  // 1000 a second, bursts of 10
  auto t = std::chrono::steady_clock::time_point{} + 1s;
  int passed = 0;
  for (int i = 0; i < 100; ++i) passed += r.allow(t) ? 1 : 0;  // all at one instant
  CHECK(passed == 10);
  t += 5ms;  // 5 more tokens
  passed = 0;
  for (int i = 0; i < 100; ++i) passed += r.allow(t) ? 1 : 0;
  CHECK(passed == 5);
  // Over a second at 2000 offered a second, about 1000 pass.
  passed = 0;
  for (int i = 0; i < 2000; ++i) {
    t += 500us;
    passed += r.allow(t) ? 1 : 0;
  }
  CHECK(passed >= 995);
  CHECK(passed <= 1010);
  udp::RateLimit none;
  for (int i = 0; i < 1000; ++i) CHECK(none.allow(t));
}
