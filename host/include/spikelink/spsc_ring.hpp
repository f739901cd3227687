// A bounded, lock-free, single-producer single-consumer ring. The board's
// I/O thread pushes received spikes; one user thread pulls them. Neither side
// ever waits for the other: a push into a full ring fails (the caller counts
// the drop), a pull from an empty ring returns nothing.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>

namespace spikelink {

template <class T>
class SpscRing {
 public:
  // Holds `capacity` elements, rounded up to a power of two.
  explicit SpscRing(std::size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1), slots_(new T[mask_ + 1]) {}

  std::size_t capacity() const { return mask_ + 1; }

  // Producer: appends as many of `items` as fit; returns how many.
  std::size_t push(std::span<const T> items) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (capacity() - (head - tail_cache_) < items.size()) tail_cache_ = tail_.load(std::memory_order_acquire);
    const std::size_t room = capacity() - (head - tail_cache_);
    const std::size_t n = items.size() < room ? items.size() : room;
    for (std::size_t i = 0; i < n; ++i) slots_[(head + i) & mask_] = items[i];
    head_.store(head + n, std::memory_order_release);
    return n;
  }
  bool push(const T& item) { return push(std::span<const T>(&item, 1)) == 1; }

  // Consumer: moves up to out.size() elements into `out`; returns how many.
  std::size_t pop(std::span<T> out) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (head_cache_ - tail < out.size()) head_cache_ = head_.load(std::memory_order_acquire);
    const std::size_t avail = head_cache_ - tail;
    const std::size_t n = out.size() < avail ? out.size() : avail;
    for (std::size_t i = 0; i < n; ++i) out[i] = slots_[(tail + i) & mask_];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Either side: a snapshot, exact only when the other side is idle.
  std::size_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  static constexpr std::size_t kLine = 64;
  const std::size_t mask_;
  std::unique_ptr<T[]> slots_;
  alignas(kLine) std::atomic<std::size_t> head_{0};  // written by the producer
  std::size_t tail_cache_ = 0;                       // producer's view of tail_
  alignas(kLine) std::atomic<std::size_t> tail_{0};  // written by the consumer
  std::size_t head_cache_ = 0;                       // consumer's view of head_
};

}  // namespace spikelink
