#pragma once

// The messages in flight in the simulated network, in delivery order: by due
// time, and at equal times in the order they were sent.
//
// One entry is 12 bytes and the whole queue needs one scheduler timer (armed by
// its owner for next_due()), so a storm of n² messages — every peer of a
// 10,000-peer group proposing at once is 10^8 — costs memory in proportion, not
// one scheduler slot each (issue 13 §1).

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "runtime/scheduler.h"

namespace fabnet::sim {

class DeliveryQueue {
 public:
  // What is delivered: an index into the owner's table of sent messages, and
  // the receiving peer.
  struct Delivery {
    std::uint32_t record = 0;
    std::uint32_t receiver = 0;
  };

  void push(runtime::TimePoint due, Delivery delivery);
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The earliest due time; the queue must not be empty.
  runtime::TimePoint next_due();
  // Appends the deliveries due at next_due() to `out`, in send order, and
  // removes them.
  void pop_due(std::vector<Delivery>& out);

 private:
  // Buckets of 4.096 µs: a bucket holds the offset of each entry within it, and
  // is sorted (stably, so send order breaks ties) only once it is the earliest.
  static constexpr int kBucketBits = 12;
  struct Item {
    std::uint32_t offset;  // ns after the bucket's start
    Delivery delivery;
  };
  struct Bucket {
    std::deque<Item> items;  // chunked: no doubling slack at 10^8 entries
    std::size_t cursor = 0;  // items before it were delivered
    bool sorted = false;
  };
  Bucket& head();

  std::map<std::int64_t, Bucket> buckets_;
  std::size_t size_ = 0;
};

}  // namespace fabnet::sim
