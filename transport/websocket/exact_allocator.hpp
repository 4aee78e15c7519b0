#pragma once

#include <cstddef>
#include <new>

namespace sluice::transport {

// An allocator for the handlers of operations that wait long (a quiet
// connection's pending read and timer). Asio swaps std::allocator for its
// per-thread recycling allocator, which hands an operation the cached block
// of whatever completed before it on that thread (an HTTP read's, say,
// several times the size): fine for short operations, but a pending one
// holds that block for as long as the connection is quiet. Any other
// allocator type is used as given: exactly the bytes asked for.
template <class T>
struct exact_allocator {
  using value_type = T;

  exact_allocator() noexcept = default;
  template <class U>
  exact_allocator(const exact_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }

  template <class U>
  bool operator==(const exact_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace sluice::transport
