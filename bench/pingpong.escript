#!/usr/bin/env escript
%% Ping-pong between two Erlang processes, the reference bench_kernel's guests are compared
%% with (bench/run-kernel). Prints one line per mode:
%%   erlang <mode> rounds=N messages_per_s=M round_trip_us=R p50_us=A p99_us=B
%% "one" pins the VM to one scheduler (+S 1 is the caller's); the timings are per round trip
%% measured with erlang:monotonic_time inside ping.
-mode(compile).

main([Rounds]) -> run(list_to_integer(Rounds));
main([]) -> run(200000).

run(Rounds) ->
    Pong = spawn(fun pong/0),
    Self = self(),
    T0 = erlang:monotonic_time(nanosecond),
    Ping = spawn(fun() -> Self ! {done, ping(Pong, Rounds, [])} end),
    Samples = receive {done, S} -> S end,
    T1 = erlang:monotonic_time(nanosecond),
    _ = Ping,
    Pong ! stop,
    Elapsed = (T1 - T0) / 1.0e9,
    Sorted = lists:sort(Samples),
    N = length(Sorted),
    P50 = lists:nth(max(1, round(0.50 * N)), Sorted) / 1000,
    P99 = lists:nth(max(1, round(0.99 * N)), Sorted) / 1000,
    io:format("erlang schedulers=~p rounds=~p messages_per_s=~.1f round_trip_us=~.3f p50_us=~.3f p99_us=~.3f~n",
              [erlang:system_info(schedulers_online), Rounds, 2 * Rounds / Elapsed,
               Elapsed * 1.0e6 / Rounds, P50, P99]).

ping(_Pong, 0, Acc) -> Acc;
ping(Pong, N, Acc) ->
    T0 = erlang:monotonic_time(nanosecond),
    Pong ! {ping, self()},
    receive pong -> ok end,
    ping(Pong, N - 1, [erlang:monotonic_time(nanosecond) - T0 | Acc]).

pong() ->
    receive
        {ping, From} -> From ! pong, pong();
        stop -> ok
    end.
