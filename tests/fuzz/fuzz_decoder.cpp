// libFuzzer target for the streaming decoder and the body parsers.
// Build: the fuzz_decoder target (clang, -fsanitize=fuzzer,address,undefined).
// Run:   build/<preset>/bin/fuzz_decoder -max_total_time=3600 corpus/
// Invariants checked beyond "no crash, no UB":
//  - every frame the decoder delivers re-encodes to a frame that decodes to
//    the same bytes;
//  - the decoder's counters add up (delivered frames, discarded bytes);
//  - feeding the same bytes in other chunk sizes gives the same result;
//  - a body that parses re-encodes to a body that parses to the same message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "spikelink/link_codec.hpp"

using namespace spikelink;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_decoder: invariant violated: %s\n", what);
    std::abort();
  }
}

struct Frames {
  std::vector<std::vector<std::uint8_t>> frames;
  void add(const RawFrame& f) {
    std::vector<std::uint8_t> v{f.type, f.seq};
    v.insert(v.end(), f.body.begin(), f.body.end());
    frames.push_back(std::move(v));
  }
};

struct Sink {
  std::size_t spikes = 0;
  std::size_t spike_frames = 0;
  std::size_t messages = 0;
  void on_spikes(std::uint64_t, std::span<const proto::SpikeEvent> ev, std::uint8_t) {
    spikes += ev.size();
    ++spike_frames;
  }
  void on_message(const proto::Message& m, std::uint8_t) {
    ++messages;
    // Parsed messages re-encode and parse back to themselves.
    std::vector<std::uint8_t> body(proto::kMaxBody);
    body.resize(proto::encode_body(m, body.data()));
    const auto again = proto::parse_body(proto::type_of(m), body);
    check(again.has_value() && *again == m, "message re-encode round trip");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::span<const std::uint8_t> in(data + 1, size - 1);

  FrameDecoder whole;
  Frames a;
  whole.feed(in, [&](const RawFrame& f) { a.add(f); });

  FrameDecoder pieces;
  Frames b;
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    pieces.feed(in.subspan(at, std::min(chunk, in.size() - at)), [&](const RawFrame& f) { b.add(f); });
  }
  check(a.frames == b.frames, "chunking changed the frames");
  check(whole.counters() == pieces.counters(), "chunking changed the counters");

  const auto& c = whole.counters();
  check(c.frames_ok == a.frames.size(), "frames_ok counts delivered frames");
  check(c.bytes_in == in.size(), "bytes_in counts every byte");
  check(c.bytes_discarded + whole.pending() <= c.bytes_in, "discarded bytes bounded by input");

  for (const auto& f : a.frames) {
    std::vector<std::uint8_t> wire;
    append_wire_frame(f, wire);
    FrameDecoder d;
    Frames back;
    d.feed(wire, [&](const RawFrame& g) { back.add(g); });
    check(back.frames.size() == 1 && back.frames[0] == f, "delivered frame re-encodes");
  }

  Receiver rx;
  Sink sink;
  rx.feed(in, sink);
  const auto rc = rx.counters();
  check(rc.framing == c, "receiver and decoder agree");
  check(sink.messages + sink.spike_frames + rc.malformed == c.frames_ok,
        "every good frame is delivered or counted malformed");
  check(rc.spike_events == sink.spikes, "spike events counted");

  // Every type's parser against the raw input as a body.
  for (unsigned t = 2; t <= 15 && in.size() <= proto::kMaxBody; ++t) {
    const auto m = proto::parse_body(static_cast<proto::FrameType>(t), in);
    if (m) sink.on_message(*m, 0);
  }
  // The spike decoder too: a body that decodes re-encodes to events that
  // decode the same (the encoding may differ: advances can be split).
  if (in.size() <= proto::kMaxBody) {
    std::vector<proto::SpikeEvent> ev;
    // A receiver takes its first time as is, so stay in the first epoch.
    const std::uint64_t base = 0x10;
    if (proto::decode_spike_body(in, base, ev)) {
      check(ev.size() <= proto::kMaxSpikeRecords, "no more events than records");
      if (!ev.empty()) {
        std::vector<std::uint8_t> wire;
        Transmitter tx;
        tx.append_spikes(ev, wire);
        struct All {
          std::vector<proto::SpikeEvent> ev;
          void on_spikes(std::uint64_t, std::span<const proto::SpikeEvent> e, std::uint8_t) {
            ev.insert(ev.end(), e.begin(), e.end());
          }
          void on_message(const proto::Message&, std::uint8_t) {}
        } all;
        Receiver back;
        back.feed(wire, all);
        check(all.ev == ev, "spike events survive re-encoding");
      }
    }
  }
  return 0;
}
