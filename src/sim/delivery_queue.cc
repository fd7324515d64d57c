#include "sim/delivery_queue.h"

#include <algorithm>
#include <cassert>

namespace fabnet::sim {

void DeliveryQueue::push(runtime::TimePoint due, Delivery delivery) {
  const std::int64_t ns = due.count();
  const std::int64_t key = ns >> kBucketBits;
  const Item item{static_cast<std::uint32_t>(ns - (key << kBucketBits)), delivery};
  Bucket& bucket = buckets_[key];
  if (bucket.sorted) {
    // Only a delivery due within the bucket being drained (a delay of a few µs):
    // after everything due at the same time or earlier.
    auto at = std::upper_bound(
        bucket.items.begin() + static_cast<std::ptrdiff_t>(bucket.cursor), bucket.items.end(),
        item.offset, [](std::uint32_t offset, const Item& i) { return offset < i.offset; });
    bucket.items.insert(at, item);
  } else {
    bucket.items.push_back(item);
  }
  ++size_;
}

DeliveryQueue::Bucket& DeliveryQueue::head() {
  assert(!buckets_.empty());
  Bucket& bucket = buckets_.begin()->second;
  if (!bucket.sorted) {
    std::stable_sort(bucket.items.begin(), bucket.items.end(),
                     [](const Item& a, const Item& b) { return a.offset < b.offset; });
    bucket.sorted = true;
  }
  return bucket;
}

runtime::TimePoint DeliveryQueue::next_due() {
  const std::int64_t key = buckets_.begin()->first;
  const Bucket& bucket = head();
  return runtime::TimePoint((key << kBucketBits) + bucket.items[bucket.cursor].offset);
}

void DeliveryQueue::pop_due(std::vector<Delivery>& out) {
  Bucket& bucket = head();
  const std::uint32_t offset = bucket.items[bucket.cursor].offset;
  while (bucket.cursor < bucket.items.size() && bucket.items[bucket.cursor].offset == offset) {
    out.push_back(bucket.items[bucket.cursor].delivery);
    ++bucket.cursor;
    --size_;
  }
  if (bucket.cursor == bucket.items.size()) {
    buckets_.erase(buckets_.begin());
  } else if (bucket.cursor >= 4096) {
    // Free delivered chunks as a large bucket drains.
    bucket.items.erase(bucket.items.begin(),
                       bucket.items.begin() + static_cast<std::ptrdiff_t>(bucket.cursor));
    bucket.cursor = 0;
  }
}

}  // namespace fabnet::sim
