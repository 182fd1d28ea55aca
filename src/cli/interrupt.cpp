#include "cli/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

namespace qinfer::cli {
namespace {

// Signal handlers may touch only lock-free atomics (and call async-signal-safe functions).
std::atomic<bool> g_cancel{false};
std::atomic<bool> g_generating{false};
std::atomic<int> g_presses_at_prompt{0};
struct sigaction g_previous {};
std::atomic<const char*> g_prompt{nullptr};  // re-shown after the hint; static storage

void on_sigint(int) {
  if (g_generating.load()) {
    g_cancel.store(true);
    return;
  }
  if (g_presses_at_prompt.fetch_add(1) >= 1) {
    constexpr char kBye[] = "\n";
    (void)!write(STDOUT_FILENO, kBye, sizeof(kBye) - 1);
    _exit(130);
  }
  constexpr char kHint[] = "\n(Ctrl-C again or /exit to quit)\n";
  (void)!write(STDERR_FILENO, kHint, sizeof(kHint) - 1);
  if (const char* prompt = g_prompt.load()) (void)!write(STDOUT_FILENO, prompt, std::strlen(prompt));
}

}  // namespace

InterruptGuard::InterruptGuard() {
  static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
                std::atomic<const char*>::is_always_lock_free);
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a read() at the prompt continues after the hint
  sigaction(SIGINT, &action, &g_previous);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }

const std::atomic<bool>* InterruptGuard::cancel_flag() const { return &g_cancel; }

void InterruptGuard::begin_generation() {
  g_cancel.store(false);
  g_generating.store(true);
}

void InterruptGuard::end_generation() {
  g_generating.store(false);
  g_presses_at_prompt.store(0);
}

void InterruptGuard::set_prompt(const char* prompt) { g_prompt.store(prompt); }

bool InterruptGuard::interrupted() const { return g_cancel.load(); }

}  // namespace qinfer::cli
