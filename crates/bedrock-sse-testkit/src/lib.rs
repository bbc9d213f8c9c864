//! # bedrock-sse-testkit
//!
//! The adapter scenario table, written once and run by every adapter
//! (tokio, blocking, and any later one) against the real simulator over
//! loopback. Not published: it is a dev-dependency of the adapters.
//!
//! An adapter plugs in with a [`Runner`], the one thing it writes: follow
//! the watch a [`WatchConfig`](bedrock_sse_core::watch::WatchConfig) describes to its end and hand back the
//! [`Run`] (every event yielded, then the outcome), or drop it part way. Then
//! [`scenarios!`] expands to one `#[test]` per scenario in the adapter's
//! test file, so each failure is named and they run in parallel:
//!
//! ```ignore
//! use bedrock_sse_testkit::{Run, Runner};
//!
//! struct MyRunner;
//!
//! impl Runner for MyRunner {
//!     fn run(&self, config: WatchConfig) -> Run {
//!         let mut events = Vec::new();
//!         let outcome = my_adapter::JobWatch::new(MyTransport::new(), config)
//!             .run(|event| events.push(event));
//!         Run { events, outcome }
//!     }
//!
//!     fn run_then_drop(
//!         &self,
//!         config: WatchConfig,
//!         events: usize,
//!         dropped: &mut dyn FnMut(),
//!     ) -> Vec<WatchEvent> {
//!         let mut watch = my_adapter::JobWatch::new(MyTransport::new(), config);
//!         let taken = watch.by_ref().take(events).collect();
//!         drop(watch);
//!         dropped();
//!         taken
//!     }
//! }
//!
//! bedrock_sse_testkit::scenarios!(MyRunner);
//! ```
//!
//! The kit is runtime-agnostic: the simulator ([`TestSim`]) and the
//! [`FarServer`] run on runtimes of their own, and a scenario calls the
//! runner from a plain `#[test]` thread, which the runner may block (an
//! async adapter starts a runtime there).
//!
//! The scenarios that count the process's threads and sockets
//! ([`cleanup`](mod@cleanup)) must not share their process with other tests:
//! [`cleanup_scenarios!`] expands to one `#[test]` that runs them one after
//! the other, for a test file of its own.
//!
//! An adapter's ready-made transport also runs the TLS scenarios of
//! [`tls`](mod@tls) through a [`TlsAdapter`]: [`tls_scenarios!`]; and,
//! in a test binary of its own, those of `SSL_CERT_FILE` and the proxy
//! variables ([`tls_env`](mod@tls_env)) through an [`EnvAdapter`]:
//! [`tls_env_scenarios!`].
//!
//! Each scenario is a function in [`scenarios`](mod@scenarios): the simulator's script and
//! faults (the data), one run, and the checks. Timeouts are short
//! ([`TestSim::config`]) but every check is about what happened, never how
//! fast: the kit must not flake on a loaded machine. Each watch is bounded
//! by its config's overall timeout ([`PATIENCE`]), so a bug fails a test
//! instead of hanging it.
//!
//! The helpers ([`ms`], [`quick_job`], [`TestSim`], [`unused_port`],
//! [`RawServer`], [`Resources`]) are for adapter-specific tests too.

pub mod campaign;
pub mod cleanup;
mod far;
mod fault_proxy;
mod logs;
mod raw;
mod resources;
mod run;
pub mod scenarios;
mod sim;
pub mod tls;
pub mod tls_env;
mod wire;

pub use far::{FarRequest, FarServer};
pub use fault_proxy::{Answer, ConnectionFault, FaultProxy, Forward, Plan, ProxyRequest, Tally};
pub use logs::CapturedLogs;
pub use raw::{RawAnswer, RawConnection, RawServer};
pub use resources::Resources;
pub use run::{Run, Runner};
pub use sim::{KEY, PATIENCE, TestSim, ms, quick_job, unused_port};
pub use tls::TlsAdapter;
pub use tls_env::EnvAdapter;
pub use wire::{CutKind, Part, ResponseBytes, body_of};

/// Expands to one `#[test]` per scenario of [`scenarios`](mod@scenarios), in a module
/// named `scenarios`, each calling it with the given [`Runner`] (any
/// expression; it is evaluated in each test).
///
/// ```ignore
/// bedrock_sse_testkit::scenarios!(TokioRunner);
/// // cargo test -p my-adapter scenarios::a_job_that_completes
/// ```
#[macro_export]
macro_rules! scenarios {
    ($runner:expr) => {
        $crate::__scenario_tests!(
            $runner;
            a_job_that_completes,
            a_job_that_fails,
            a_job_that_is_canceled,
            a_job_canceled_before_the_watch,
            a_job_already_finished,
            no_content_stops_the_watch,
            a_wrong_key_is_refused_once,
            an_unknown_job_is_not_found,
            a_job_the_key_may_not_see_is_refused,
            a_rate_limit_waits_for_retry_after,
            server_errors_are_retried_then_the_job_followed,
            the_failure_budget_ends_the_watch,
            a_refused_connection_says_the_os_error,
            planned_rotations_resume_without_duplicates,
            a_stall_is_abandoned_after_the_idle_timeout,
            a_dropped_connection_resumes_where_it_broke,
            crlf_a_bom_and_upper_case_decode_the_same,
            cr_one_byte_at_a_time_decodes_the_same,
            malformed_json_is_a_warning_and_the_job_goes_on,
            a_256_kib_result_arrives_intact,
            a_burst_of_tiny_events_arrives_whole,
            a_page_that_is_not_an_event_stream_is_fatal,
            a_gzip_stream_is_an_unsupported_encoding,
            a_same_origin_redirect_keeps_every_header,
            a_redirect_to_another_served_path_is_followed,
            five_redirects_of_each_status_are_followed,
            a_sixth_redirect_is_too_many,
            a_redirect_to_another_port_is_refused,
            a_redirect_to_localhost_is_refused,
            a_redirect_to_localhost_on_another_port_is_refused,
            cross_origin_without_credentials_drops_the_bearer,
            cross_origin_without_credentials_drops_the_x_api_key,
            a_redirect_without_location_is_invalid,
            a_redirect_to_an_unparsable_location_is_invalid,
            the_never_policy_refuses_any_redirect,
            a_trickle_is_stopped_by_the_overall_deadline,
            a_server_that_never_answers_is_stopped_by_the_head_timeout,
        );
    };
}

/// Expands to one `#[test]`, `cleanup`, that runs each scenario of
/// [`cleanup`](mod@cleanup) with each given [`Runner`], one after the
/// other. They count the whole process's threads and sockets: put it in a
/// test file of its own (its own process), with nothing else. Linux only
/// (`/proc/self`); ignored elsewhere.
///
/// ```ignore
/// // tests/cleanup.rs
/// bedrock_sse_testkit::cleanup_scenarios!(SmolRunner, AsyncStdRunner);
/// ```
#[macro_export]
macro_rules! cleanup_scenarios {
    ($($runner:expr),+ $(,)?) => {
        #[test]
        #[cfg_attr(not(target_os = "linux"), ignore = "counts /proc/self")]
        fn cleanup() {
            $(
                let runner = $runner;
                $crate::cleanup::a_watch_dropped_mid_stream_closes_its_connection(&runner);
                $crate::cleanup::silent_connections_are_each_closed_after_the_idle_timeout(
                    &runner,
                );
            )+
        }
    };
}

/// Expands to a `#[test] fn campaign()` that runs the fault campaign
/// ([`campaign`](mod@campaign)) with the given [`Runner`]: seeded
/// schedules of cuts, stalls, byte-by-byte delivery, 5xx and 429 answers
/// and rewound resumes through a [`FaultProxy`], each checked against the
/// server's sequence.
///
/// ```ignore
/// bedrock_sse_testkit::campaign!(TokioRunner);
/// // BEDROCK_CAMPAIGN_SCHEDULES=200 cargo test -p my-adapter campaign -- --nocapture
/// ```
#[macro_export]
macro_rules! campaign {
    ($runner:expr) => {
        #[test]
        fn campaign() {
            $crate::campaign::run(&$runner, env!("CARGO_PKG_NAME"), module_path!());
        }
    };
}

/// Expands to a module `tls` with one `#[test]` per scenario of
/// [`tls`](mod@tls), each run with the given [`TlsAdapter`].
///
/// ```ignore
/// bedrock_sse_testkit::tls_scenarios!(Reqwest);
/// ```
#[macro_export]
macro_rules! tls_scenarios {
    ($adapter:expr) => {
        mod tls {
            #[allow(unused_imports)]
            use super::*;
            $crate::__each_test!(
                $crate::tls, $adapter;
                an_unknown_issuer_ends_the_watch_at_once,
                a_ca_file_added_to_the_builder_is_trusted,
                an_expired_certificate_or_another_name_is_a_certificate_error,
                a_bad_ca_file_is_a_typed_error_naming_it,
            );
        }
    };
}

/// Expands to a module `tls_env` with one `#[test]` per scenario of
/// [`tls_env`](mod@tls_env), each run with the given [`EnvAdapter`]. They
/// set process-wide variables: put it in a test file of its own.
///
/// ```ignore
/// // tests/tls_env.rs
/// bedrock_sse_testkit::tls_env_scenarios!(Reqwest);
/// ```
#[macro_export]
macro_rules! tls_env_scenarios {
    ($adapter:expr) => {
        mod tls_env {
            #[allow(unused_imports)]
            use super::*;
            $crate::__each_test!(
                $crate::tls_env, $adapter;
                ssl_cert_file_is_trusted_by_new_and_by_the_builder,
                an_unusable_ssl_cert_file_is_an_error_of_the_builder,
                https_goes_through_the_https_proxy_tunnel,
                plain_http_goes_through_the_http_proxy,
                no_proxy_bypasses_the_proxies,
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __each_test {
    ($module:path, $arg:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                use $module as scenarios;
                scenarios::$name(&$arg);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __scenario_tests {
    ($runner:expr; $($name:ident),* $(,)?) => {
        mod scenarios {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::scenarios::$name(&$runner);
                }
            )*
        }
    };
}
