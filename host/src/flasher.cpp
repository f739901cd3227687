#include "spikelink/flasher.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "spikelink/image.hpp"

namespace spikelink::flash {

namespace {

constexpr std::size_t k4k = 4096, k32k = 32768, k64k = 65536;

bool all_ff(std::span<const std::uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t v) { return v == 0xFF; });
}

// A write enable took: WEL set and the chip not busy (while it is busy it
// ignores WREN, and WEL may still be set by the operation in progress).
bool accepted(std::uint8_t status) {
  return (status & spinor::kStatusWel) && !(status & spinor::kStatusBusy);
}

// The SCK clocks that take `seconds`.
std::uint64_t clocks_for(double seconds, double sck_hz) {
  return static_cast<std::uint64_t>(std::ceil(seconds * sck_hz));
}

}  // namespace

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kRead: return "read";
    case Phase::kErase: return "erase";
    case Phase::kProgram: return "program";
    case Phase::kVerify: return "verify";
    case Phase::kBoot: return "boot";
  }
  return "?";
}

Plan make_plan(std::span<const std::uint8_t> current, std::span<const std::uint8_t> image, const spinor::Chip& chip,
               std::uint32_t offset) {
  Plan plan;
  const std::size_t page = chip.page_bytes;
  const std::size_t len = image.size();
  const std::size_t sectors = (len + k4k - 1) / k4k;
  plan.sectors = sectors;
  if (current.size() < len) throw std::invalid_argument("make_plan: the current contents are shorter than the image");
  if (offset % k4k != 0) throw std::invalid_argument("make_plan: the image offset must be 4 KiB aligned");
  if (std::equal(image.begin(), image.end(), current.begin())) {
    plan.up_to_date = true;
    plan.sectors_untouched = sectors;
    return plan;
  }
  const double t_pp = chip.typical.page_program;
  struct Sector {
    bool needs_erase = false;
    std::size_t nonff_pages = 0;  // pages to program once erased
    std::size_t diff_pages = 0;   // pages to program if kept
  };
  std::vector<Sector> sec(sectors);
  for (std::size_t s = 0; s < sectors; ++s) {
    for (std::size_t p = s * k4k; p < std::min(len, (s + 1) * k4k); p += page) {
      const std::size_t n = std::min(page, len - p);
      const auto want = image.subspan(p, n);
      const auto cur = current.subspan(p, n);
      bool diff = false;
      for (std::size_t i = 0; i < n; ++i) {
        if ((cur[i] & want[i]) != want[i]) sec[s].needs_erase = true;
        diff = diff || cur[i] != want[i];
      }
      if (!all_ff(want)) ++sec[s].nonff_pages;
      if (diff) ++sec[s].diff_pages;
    }
  }
  // The first page is erased first and written last: unless it is blank
  // already, the sector holding it is erased when anything changes, so the
  // old header and sync word are gone before anything else is written.
  if (!all_ff(current.first(std::min(page, len)))) sec[0].needs_erase = true;

  // Cost of a range of sectors handled one by one, or by one block erase.
  const auto one_by_one = [&](std::size_t s0, std::size_t n) {
    double t = 0;
    for (std::size_t s = s0; s < s0 + n; ++s)
      t += sec[s].needs_erase ? chip.erase_time(k4k) + t_pp * static_cast<double>(sec[s].nonff_pages)
                              : t_pp * static_cast<double>(sec[s].diff_pages);
    return t;
  };
  const auto as_block = [&](std::size_t s0, std::size_t n, std::size_t bytes) {
    double t = chip.erase_time(bytes);
    for (std::size_t s = s0; s < s0 + n; ++s) t += t_pp * static_cast<double>(sec[s].nonff_pages);
    return t;
  };
  // Erase choice per sector: 0 none, else the block size that erases it.
  std::vector<std::size_t> erased_by(sectors, 0);
  const auto choose_sectors = [&](std::size_t s0, std::size_t n) {
    for (std::size_t s = s0; s < s0 + n; ++s) erased_by[s] = sec[s].needs_erase ? k4k : 0;
  };
  const auto choose_block = [&](std::size_t s0, std::size_t n, std::size_t bytes) {
    for (std::size_t s = s0; s < s0 + n; ++s) erased_by[s] = bytes;
  };
  const std::size_t per32 = k32k / k4k, per64 = k64k / k4k;
  const auto half = [&](std::size_t s0) {  // best for a whole 32 KiB half, returns its cost
    const double a = one_by_one(s0, per32), b = as_block(s0, per32, k32k);
    if (b < a) {
      choose_block(s0, per32, k32k);
      return b;
    }
    choose_sectors(s0, per32);
    return a;
  };
  const std::size_t first = offset / k4k;  // absolute sector index of sector 0
  std::size_t s = 0;
  while (s < sectors) {
    const std::size_t abs = first + s;
    if (abs % per64 == 0 && s + per64 <= sectors) {
      const double split = half(s) + half(s + per32);
      const auto saved = std::vector<std::size_t>(erased_by.begin() + static_cast<std::ptrdiff_t>(s),
                                                  erased_by.begin() + static_cast<std::ptrdiff_t>(s + per64));
      if (as_block(s, per64, k64k) < split) {
        choose_block(s, per64, k64k);
      } else {
        std::copy(saved.begin(), saved.end(), erased_by.begin() + static_cast<std::ptrdiff_t>(s));
      }
      s += per64;
    } else if (abs % per32 == 0 && s + per32 <= sectors) {
      half(s);
      s += per32;
    } else {
      choose_sectors(s, 1);
      s += 1;
    }
  }
  // Erase list (block starts), the one holding sector 0 first.
  for (std::size_t i = 0; i < sectors;) {
    if (erased_by[i] == 0) {
      ++i;
      continue;
    }
    const std::size_t n = erased_by[i] / k4k;
    plan.erases.push_back({static_cast<std::uint32_t>(offset + i * k4k), static_cast<std::uint32_t>(erased_by[i])});
    plan.intrinsic_s += chip.erase_time(erased_by[i]);
    i += n;
  }
  // Pages: erased sectors get every non-blank page, kept ones the pages that differ.
  std::uint32_t first_page_addr = 0;
  bool first_page = false;
  for (std::size_t p = 0; p < len; p += page) {
    const std::size_t n = std::min(page, len - p);
    const auto want = image.subspan(p, n);
    const bool erased = erased_by[p / k4k] != 0;
    const bool write = erased ? !all_ff(want) : !std::equal(want.begin(), want.end(), current.begin() + static_cast<std::ptrdiff_t>(p));
    if (!write) {
      if (!all_ff(want)) ++plan.pages_skipped;
      continue;
    }
    plan.intrinsic_s += t_pp;
    if (p == 0) {
      first_page = true;
      first_page_addr = offset;
    } else {
      plan.pages.push_back(static_cast<std::uint32_t>(offset + p));
    }
  }
  if (first_page) plan.pages.push_back(first_page_addr);
  for (std::size_t i = 0; i < sectors; ++i) {
    if (erased_by[i] != 0) continue;
    bool touched = false;
    for (const auto a : plan.pages) touched = touched || (a - offset) / k4k == i;
    if (!touched) ++plan.sectors_untouched;
  }
  return plan;
}

namespace {

class Session {
 public:
  Session(usb::Device& dev, const BoardDescription& board, const Options& opt)
      : engine_(dev, board.flash_interface == 0 ? ftdi::Port::kA : ftdi::Port::kB), bus_(board.pins), opt_(opt) {}

  ~Session() {
    try {
      engine_.close();
    } catch (...) {
    }
  }

  void open() {
    try {
      engine_.open(opt_.sck_hz, bus_.value_idle(), bus_.direction_owned());
    } catch (const std::exception& e) {
      throw Error(Error::Kind::kDevice, e.what());
    }
  }

  std::vector<std::uint8_t> run(const mpsse::Batch& b) {
    try {
      return engine_.run(b);
    } catch (const usb::Error& e) {
      throw Error(Error::Kind::kDevice, fmt::format("flash: USB failed: {}", e.what()));
    } catch (const mpsse::Error& e) {
      throw Error(Error::Kind::kDevice, fmt::format("flash: {}", e.what()));
    }
  }

  std::array<std::uint8_t, 3> identify() {
    mpsse::Batch b;
    bus_.command(b, {spinor::cmd::kReleasePowerDown});
    b.clock_bits(clocks_for(50e-6, engine_.sck_hz()));  // tRES1: 3 us; be generous
    bus_.command(b, {spinor::cmd::kJedecId}, 3);
    const auto r = run(b);
    return {r[0], r[1], r[2]};
  }

  std::uint8_t status() {
    mpsse::Batch b;
    bus_.command(b, {spinor::cmd::kReadStatus1}, 1);
    return run(b)[0];
  }

  // Polls BUSY with waits in the MPSSE's clock until it clears or `max_s`
  // of waiting passed. Returns the last status.
  std::uint8_t wait_ready(double first_wait_s, double step_s, double max_s, const std::string& what) {
    double waited = 0;
    double wait = first_wait_s;
    for (;;) {
      mpsse::Batch b;
      if (wait > 0) b.clock_bits(clocks_for(wait, engine_.sck_hz()));
      bus_.command(b, {spinor::cmd::kReadStatus1}, 1);
      const std::uint8_t st = run(b)[0];
      waited += wait;
      if (!(st & spinor::kStatusBusy)) return st;
      if (waited > max_s)
        throw Error(Error::Kind::kDevice,
                    fmt::format("flash: {} did not finish within {:.3f} s (the datasheet maximum): status {:02X}", what,
                                max_s, st));
      wait = step_s;
    }
  }

  void write_enable(mpsse::Batch& b) {
    bus_.command(b, {spinor::cmd::kWriteEnable});
    bus_.command(b, {spinor::cmd::kReadStatus1}, 1);
  }

  [[noreturn]] void no_wel(std::uint8_t st, const std::string& what) {
    throw Error(Error::Kind::kDevice,
                fmt::format("flash: write enable did not take before {} (status {:02X}, WEL clear){}", what, st,
                            (st & spinor::kStatusSrp) ? ": the status register is locked (SRP) and /WP may be low"
                                                      : ": is the flash write-protected in hardware?"));
  }

  std::vector<std::uint8_t> read(std::uint32_t addr, std::size_t n, Phase phase, std::size_t& done, std::size_t total) {
    std::vector<std::uint8_t> out;
    out.reserve(n);
    constexpr std::size_t kChunk = 16384;
    while (out.size() < n) {
      const std::size_t k = std::min(kChunk, n - out.size());
      mpsse::Batch b;
      bus_.command_addr(b, spinor::cmd::kRead, static_cast<std::uint32_t>(addr + out.size()), k);
      const auto r = run(b);
      out.insert(out.end(), r.begin(), r.end());
      done += k;
      report(phase, done, total);
    }
    return out;
  }

  void report(Phase p, std::size_t done, std::size_t total) {
    if (opt_.progress) opt_.progress({p, done, total});
  }

  mpsse::Engine& engine() { return engine_; }
  const spinor::Bus& bus() const { return bus_; }

 private:
  mpsse::Engine engine_;
  spinor::Bus bus_;
  const Options& opt_;
};

void check_image(std::span<const std::uint8_t> bytes, const BoardDescription& board) {
  image::Image img;
  try {
    img = image::parse(bytes);
  } catch (const image::Error& e) {
    throw Error(Error::Kind::kImage, fmt::format("image: {} (offset {})", e.what(), e.offset()));
  }
  if (img.header.board_id != board.board_id)
    throw Error(Error::Kind::kImage,
                fmt::format("image: it is for board id {} ('{}'), the device is a {} (board id {}); nothing was "
                            "written",
                            img.header.board_id, img.header.board_name, board.name, board.board_id));
  if (bytes.size() > board.image_max_bytes)
    throw Error(Error::Kind::kImage, fmt::format("image: {} bytes, the {} has room for {} at flash offset {}",
                                                 bytes.size(), board.name, board.image_max_bytes, board.image_offset));
}

}  // namespace

Report write_image(usb::Device& dev, const BoardDescription& board, std::span<const std::uint8_t> bytes,
                   const Options& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.pages_per_batch == 0) throw Error(Error::Kind::kUsage, "pages_per_batch must be at least 1");
  check_image(bytes, board);
  // Only the image's own bytes are written; parse() allows trailing bytes.
  const auto hdr = image::decode_header(bytes);
  const auto want = bytes.first(hdr.image_length);

  Report rep;
  rep.dry_run = opt.dry_run;
  Session s(dev, board, opt);
  s.open();
  rep.sck_hz = s.engine().sck_hz();

  // Identify the flash.
  rep.jedec = s.identify();
  const auto j = rep.jedec;
  if ((j[0] == 0xFF && j[1] == 0xFF && j[2] == 0xFF) || (j[0] == 0 && j[1] == 0 && j[2] == 0))
    throw Error(Error::Kind::kDevice,
                fmt::format("flash: no flash answered (JEDEC id {}): is this a {}, and is the FPGA's CRESET_B on "
                            "ADBUS{}?",
                            spinor::jedec_string(j), board.name, board.pins.creset));
  const spinor::Chip* chip = spinor::find_chip(j);
  if (!chip) {
    std::string known;
    for (const auto& c : spinor::chips()) known += fmt::format("{}{} ({})", known.empty() ? "" : ", ", c.name, spinor::jedec_string(c.jedec));
    throw Error(Error::Kind::kDevice, fmt::format("flash: unknown JEDEC id {} (known: {}); nothing was written",
                                                  spinor::jedec_string(j), known));
  }
  rep.chip = chip->name;
  const std::uint32_t off = static_cast<std::uint32_t>(board.image_offset);
  if (off + want.size() > chip->size_bytes)
    throw Error(Error::Kind::kImage, fmt::format("image: {} bytes at offset {} do not fit the {} ({} bytes)", want.size(),
                                                 off, chip->name, chip->size_bytes));

  // Protection.
  rep.status_before = s.status();
  if (const auto pr = spinor::protected_range(rep.status_before, chip->size_bytes);
      pr && pr->first < off + want.size() && pr->second > off) {
    if (!opt.unprotect || opt.dry_run)
      throw Error(Error::Kind::kDevice,
                  fmt::format("flash: write-protected: status register 1 is {:02X}, which protects bytes {:#x}..{:#x} "
                              "of the image's range; run again with --unprotect to clear the protection bits. "
                              "Nothing was written",
                              rep.status_before, pr->first, pr->second - 1));
    mpsse::Batch b;
    s.write_enable(b);
    s.bus().command(b, {spinor::cmd::kWriteStatus1,
                        static_cast<std::uint8_t>(rep.status_before & ~spinor::kStatusProtectMask)});
    const auto r = s.run(b);
    if (!accepted(r[0])) s.no_wel(r[0], "clearing the protection bits");
    const auto st = s.wait_ready(15e-3, 5e-3, 0.1, "writing the status register");
    if (spinor::protected_range(st, chip->size_bytes))
      throw Error(Error::Kind::kDevice, fmt::format("flash: the protection bits did not clear (status {:02X}); "
                                                    "is the status register locked (SRP) with /WP low?",
                                                    st));
    rep.unprotected = true;
  }

  // Read what is there, plan.
  const std::size_t span_bytes = (want.size() + k4k - 1) / k4k * k4k;
  std::size_t done = 0;
  const auto current = s.read(off, span_bytes, Phase::kRead, done, span_bytes);
  rep.bytes_read = current.size();
  rep.plan = make_plan(current, want, *chip, off);
  const Plan& plan = rep.plan;

  if (!opt.dry_run && !plan.up_to_date) {
    // Erase.
    std::size_t erased = 0, erase_total = 0;
    for (const auto& e : plan.erases) erase_total += e.bytes;
    for (const auto& e : plan.erases) {
      mpsse::Batch b;
      s.write_enable(b);
      const std::uint8_t op = e.bytes == k64k ? spinor::cmd::kErase64k
                            : e.bytes == k32k ? spinor::cmd::kErase32k
                                              : spinor::cmd::kErase4k;
      s.bus().command_addr(b, op, e.addr);
      const auto r = s.run(b);
      if (!accepted(r[0])) s.no_wel(r[0], fmt::format("erasing {:#x}", e.addr));
      const double typ = chip->erase_time(e.bytes), max = chip->erase_time(e.bytes, true);
      s.wait_ready(typ, typ / 16, max, fmt::format("the {} KiB erase at {:#x}", e.bytes / 1024, e.addr));
      erased += e.bytes;
      s.report(Phase::kErase, erased, erase_total);
    }
    // Program: every page but the first page, batched; then verify; then
    // the first page.
    const std::size_t page = chip->page_bytes;
    const std::size_t total = plan.pages.size() * page;
    std::size_t programmed = 0;
    double wait_s = chip->typical.page_program;
    const auto page_bytes = [&](std::uint32_t addr) {
      const std::size_t at = addr - off;
      return want.subspan(at, std::min(page, want.size() - at));
    };
    // Write enable, its status read back, the page program (one page, so
    // it never crosses a page boundary).
    const auto append_program = [&](mpsse::Batch& b, std::uint32_t addr) {
      s.write_enable(b);
      s.bus().select(b);
      const std::uint8_t head[] = {spinor::cmd::kPageProgram, static_cast<std::uint8_t>(addr >> 16),
                                   static_cast<std::uint8_t>(addr >> 8), static_cast<std::uint8_t>(addr)};
      b.write(head);
      b.write(page_bytes(addr));
      s.bus().deselect(b);
    };
    const auto program_one_polled = [&](std::uint32_t addr) {
      mpsse::Batch b;
      append_program(b, addr);
      const auto r = s.run(b);
      if (!accepted(r[0])) s.no_wel(r[0], fmt::format("programming the page at {:#x}", addr));
      s.wait_ready(chip->typical.page_program, chip->typical.page_program / 8, chip->maximum.page_program,
                   fmt::format("the page program at {:#x}", addr));
    };
    const std::size_t body = plan.pages.empty() ? 0 : plan.pages.size() - (plan.pages.back() == off ? 1 : 0);
    for (std::size_t i = 0; i < body;) {
      const std::size_t n = std::min(opt.pages_per_batch, body - i);
      mpsse::Batch b;
      for (std::size_t k = 0; k < n; ++k) {
        append_program(b, plan.pages[i + k]);
        b.clock_bits(clocks_for(wait_s, s.engine().sck_hz()));
      }
      s.bus().command(b, {spinor::cmd::kReadStatus1}, 1);
      const auto r = s.run(b);
      // r[k]: the status after page k's WREN; r[n]: after the last wait.
      bool retried = false;
      if (r[n] & spinor::kStatusBusy)
        s.wait_ready(0, chip->typical.page_program / 8, chip->maximum.page_program, "a page program");
      for (std::size_t k = 0; k < n; ++k) {
        if (accepted(r[k])) continue;
        // WREN came while the chip was still busy with the page before
        // (BUSY set; WEL may still be set from that page's own program):
        // this page was not programmed. Send it again, polled.
        ++rep.page_retries;
        retried = true;
        program_one_polled(plan.pages[i + k]);
      }
      if (retried) wait_s = std::min(wait_s * 1.5, chip->maximum.page_program);
      i += n;
      programmed += n * page;
      s.report(Phase::kProgram, programmed, total);
    }
    // Verify what was erased or programmed, but the first page, before the
    // first page goes in. (Pages neither erased nor programmed were compared
    // when the flash was read for the plan.)
    if (opt.verify) {
      const std::size_t npages = (want.size() + page - 1) / page;
      std::vector<bool> touched(npages, false);
      for (const auto& e : plan.erases)
        for (std::size_t a = e.addr - off; a < e.addr - off + e.bytes && a / page < npages; a += page) touched[a / page] = true;
      for (const auto a : plan.pages) touched[(a - off) / page] = true;
      touched[0] = false;
      std::size_t total_v = 0;
      for (std::size_t i = 0; i < npages; ++i)
        if (touched[i]) total_v += std::min(page, want.size() - i * page);
      std::size_t vdone = 0;
      for (std::size_t i = 1; i < npages;) {
        if (!touched[i]) {
          ++i;
          continue;
        }
        std::size_t end = i;
        while (end < npages && touched[end]) ++end;
        const std::size_t first = i * page, len = std::min(end * page, want.size()) - first;
        const auto back = s.read(off + static_cast<std::uint32_t>(first), len, Phase::kVerify, vdone, total_v);
        for (std::size_t k = 0; k < len; ++k) {
          if (back[k] == want[first + k]) continue;
          std::size_t bad = 0;
          for (std::size_t m = k; m < len; ++m) bad += back[m] != want[first + m];
          throw Error(Error::Kind::kVerify,
                      fmt::format("verify failed at flash address {:#x}: wrote {:02X}, read {:02X} ({} bytes differ "
                                  "in this range); the first page was not written, so the board will not boot this "
                                  "image",
                                  off + first + k, want[first + k], back[k], bad));
        }
        rep.bytes_verified += len;
        i = end;
      }
    }
    if (!plan.pages.empty() && plan.pages.back() == off) {
      program_one_polled(off);
      programmed += page;
      s.report(Phase::kProgram, programmed, total);
      if (opt.verify) {
        std::size_t vdone = 0;
        const auto first = std::min(page, want.size());
        const auto back = s.read(off, first, Phase::kVerify, vdone, first);
        for (std::size_t i = 0; i < first; ++i)
          if (back[i] != want[i])
            throw Error(Error::Kind::kVerify,
                        fmt::format("verify failed at flash address {:#x} (the image header's page): wrote {:02X}, "
                                    "read {:02X}",
                                    off + i, want[i], back[i]));
        rep.bytes_verified += first;
      }
    }
  } else if (opt.verify && plan.up_to_date) {
    rep.bytes_verified = want.size();  // the read above was the verify
  }

  // Let the FPGA go and see it configure.
  if (opt.reboot) {
    mpsse::Batch b;
    s.bus().release(b);
    s.run(b);
    rep.rebooted = true;
    // The iCE40 needs about 70 ms to load 104 KB at its default SPI clock;
    // poll CDONE for up to a second.
    for (int i = 0; i < 40 && !rep.cdone; ++i) {
      mpsse::Batch p;
      p.clock_bits(clocks_for(25e-3, s.engine().sck_hz()));
      p.read_low();
      rep.cdone = s.bus().cdone(s.run(p)[0]);
    }
    s.report(Phase::kBoot, rep.cdone ? 1 : 0, 1);
  } else {
    mpsse::Batch b;
    s.bus().hold_reset(b);
    s.run(b);
  }
  rep.usb = s.engine().stats();
  rep.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (opt.reboot && !rep.cdone && !opt.dry_run)
    throw Error(Error::Kind::kBoot,
                fmt::format("the image was written{} but the FPGA did not configure: CDONE (ADBUS{}) stayed low",
                            opt.verify ? " and verified" : "", board.pins.cdone));
  return rep;
}

bool reboot(usb::Device& dev, const BoardDescription& board) {
  Options opt;
  Session s(dev, board, opt);
  s.open();  // holds CRESET_B low
  mpsse::Batch b;
  b.clock_bits(clocks_for(1e-3, s.engine().sck_hz()));
  s.bus().release(b);
  s.run(b);
  for (int i = 0; i < 40; ++i) {
    mpsse::Batch p;
    p.clock_bits(clocks_for(25e-3, s.engine().sck_hz()));
    p.read_low();
    if (s.bus().cdone(s.run(p)[0])) return true;
  }
  return false;
}

}  // namespace spikelink::flash
