#!/usr/bin/env python3
"""The Python peer for scripts/bench_engine.sh: the official `openai` client (AsyncOpenAI) in an
asyncio loop keeping CONCURRENCY requests in flight, sending the same bodies as the others.
Prints one JSON object like `reward engine bench --json`."""
import argparse
import asyncio
import json
import time

from openai import AsyncOpenAI


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=8)
    args = parser.parse_args()
    bodies = [json.loads(line) for line in open(args.requests) if line.strip()]
    client = AsyncOpenAI(base_url=args.base_url, api_key="none", max_retries=0, timeout=120)
    usage = {"prompt": 0, "completion": 0}

    async def one(body):
        start = time.perf_counter()
        reply = await client.chat.completions.create(**body)
        usage["prompt"] += reply.usage.prompt_tokens
        usage["completion"] += reply.usage.completion_tokens
        return time.perf_counter() - start

    async def drive(items):
        queue = list(reversed(items))
        latencies = []

        async def worker():
            while queue:
                latencies.append(await one(queue.pop()))

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        return latencies

    await drive([bodies[i % len(bodies)] for i in range(args.warmup)])
    usage.update(prompt=0, completion=0)
    items = bodies * args.repeat
    start = time.perf_counter()
    latencies = sorted(await drive(items))
    seconds = time.perf_counter() - start
    pick = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    print(json.dumps({
        "client": "python-openai", "requests": len(items), "concurrency": args.concurrency,
        "seconds": seconds, "items_per_second": len(items) / seconds, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
        "prompt_tokens": usage["prompt"], "completion_tokens": usage["completion"],
    }))
    await client.close()


asyncio.run(main())
