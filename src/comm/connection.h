#pragma once

// Internal state of GrpcComm's streams. Not protocol logic: these objects are shared
// between gRPC threads, so they use locks.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "gossip/message.h"

namespace fabnet::comm {

using gossip::ConnectionInfo;
using gossip::MessagePtr;
using gossip::PeerId;

// One RPC (inbound stream or outbound dial), cancellable from any thread: by stop(),
// by the handshake timeout, or by closing the connection it carries.
class CancellableCall {
 public:
  // Attaches the gRPC context of the current phase; false if already cancelled.
  bool attach(std::function<void()> try_cancel) {
    std::lock_guard lock(mu_);
    if (cancelled_) return false;
    try_cancel_ = std::move(try_cancel);
    return true;
  }
  // Must run before the attached context is destroyed.
  void detach() {
    std::lock_guard lock(mu_);
    try_cancel_ = nullptr;
  }
  void cancel() {
    std::lock_guard lock(mu_);
    cancel_locked();
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  // Timer: the remote's first message did not come within connTimeout (§4.2).
  void expire_handshake() {
    std::lock_guard lock(mu_);
    if (handshake_read_) return;
    handshake_timed_out_ = true;
    cancel_locked();
  }
  // The first read returned; false if the handshake timer fired before.
  bool finish_handshake_read() {
    std::lock_guard lock(mu_);
    handshake_read_ = true;
    return !handshake_timed_out_;
  }

 private:
  void cancel_locked() {
    if (cancelled_) return;
    cancelled_ = true;
    if (try_cancel_) try_cancel_();
  }

  mutable std::mutex mu_;
  std::function<void()> try_cancel_;
  bool cancelled_ = false;
  bool handshake_read_ = false;
  bool handshake_timed_out_ = false;
};

// An authenticated stream: a reader thread (gRPC's for inbound, the dial worker for
// outbound) and a writer thread draining `queue`.
struct Connection {
  Connection(std::shared_ptr<const ConnectionInfo> remote, std::shared_ptr<CancellableCall> rpc,
             bool dialled_by_us)
      : info(std::move(remote)), call(std::move(rpc)), outbound(dialled_by_us) {}

  // Wakes both threads and cancels the stream; idempotent.
  void close() {
    {
      std::lock_guard lock(mu);
      closed = true;
    }
    send_cv.notify_all();
    recv_cv.notify_all();
    call->cancel();
  }

  const std::shared_ptr<const ConnectionInfo> info;
  const std::shared_ptr<CancellableCall> call;
  const bool outbound;  // we dialled it
  std::mutex mu;
  // Two conditions, so that the loop handling an inbound message does not wake the
  // writer, nor a send the reader: one spurious thread switch per message otherwise.
  std::condition_variable send_cv;  // the writer's: queue or closed changed
  std::condition_variable recv_cv;  // the reader's: in_flight or closed changed
  std::deque<MessagePtr> queue;     // at most send_buffer_size
  std::size_t in_flight = 0;        // posted to the loop, not handled yet
  bool closed = false;
  bool write_failed = false;  // a Write failed, even one cut short by closing
};

}  // namespace fabnet::comm
