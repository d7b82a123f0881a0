import Benchmark
import Distillation
import QKDCore

/// The hot paths of post-processing, through public API only. Every input is drawn in the
/// benchmark's setup from a fixed `SeededGenerator` stream, so runs are reproducible and the
/// measured region holds only the operation named. One iteration handles one block (the
/// `PackedBits` ones run 1000 per sample, `scalingFactor: .kilo`); its
/// throughput in Mbit/s is `n / wall-clock time` (the tables in BENCHMARKS.md).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 1_000
    )

    // Cascade in both schedules the node uses (`ReconciliationSelector.cascadeParameters`): the
    // tuned one, lowest pass first with one search at a time after the first pass, where round
    // trips cost no key (in process); and every pass's odd blocks searched at once, on an
    // authenticated link. Alice and Bob exchange requests and answers in process; one point
    // also builds every message value, as the node's endpoints do.
    Benchmark(
        "Cascade n=16384 QBER=2% via messages",
        closure: { benchmark, blocks in
            for _ in benchmark.scaledIterations {
                blackHole(try BlockPairs.reconcileWithCascade(blocks.next(), qber: 0.02, searchesLowestPassFirst: true, viaMessages: true))
            }
        },
        setup: { BlockPairs(blockSize: 16_384, qber: 0.02, count: 16) }
    )
    for blockSize in [16_384, 100_000] {
        for qber in [0.02, 0.07] {
            for lowestPassFirst in [true, false] {
                Benchmark(
                    "Cascade n=\(blockSize) QBER=\(percent(qber))" + (lowestPassFirst ? "" : " all passes at once"),
                    closure: { benchmark, blocks in
                        for _ in benchmark.scaledIterations {
                            blackHole(try BlockPairs.reconcileWithCascade(blocks.next(), qber: qber, searchesLowestPassFirst: lowestPassFirst))
                        }
                    },
                    setup: { BlockPairs(blockSize: blockSize, qber: qber, count: 16) }
                )
            }
        }
    }

    // One frame per iteration through the whole rate-adaptive protocol (syndrome, decoding,
    // blind rounds); 1-3 s of CPU each, hence few iterations.
    for qber in [0.02, 0.07] {
        Benchmark(
            "LDPC n=100000 QBER=\(percent(qber))",
            configuration: .init(warmupIterations: 0, maxDuration: .seconds(20), maxIterations: 8),
            closure: { benchmark, blocks in
                let reconciler = LDPCReconciler()
                var randomness = SeededGenerator(seed: 1, stream: "benchmark-ldpc-puncturing")
                for _ in benchmark.scaledIterations {
                    let pair = blocks.next()
                    blackHole(try reconciler.reconcile(alice: pair.alice, bob: pair.bob, estimatedQBER: qber, randomness: &randomness))
                }
            },
            setup: { () throws -> BlockPairs in
                // Builds and caches the code outside the measured region.
                _ = try LDPCRateAdaptation().plan(blockSize: 100_000, estimatedQBER: qber)
                return BlockPairs(blockSize: 100_000, qber: qber, count: 8)
            }
        )
    }

    // The size of one demo block (8e5 sifted bits) to an eighth of it, on one thread.
    Benchmark(
        "Toeplitz n=800000 m=100000",
        closure: { benchmark, input in
            for _ in benchmark.scaledIterations {
                blackHole(try input.hash.hash(input.key, threads: 1))
            }
        },
        setup: { () throws -> (hash: ToeplitzHash, key: BitVector) in
            var generator = SeededGenerator(seed: 1, stream: "benchmark-toeplitz")
            let seed = BitVector(randomCount: ToeplitzHash.seedLength(inputLength: 800_000, outputLength: 100_000), using: &generator)
            return (
                hash: try ToeplitzHash(inputLength: 800_000, outputLength: 100_000, seed: seed),
                key: BitVector(randomCount: 800_000, using: &generator)
            )
        }
    )

    Benchmark(
        "VerificationHash n=800000",
        closure: { benchmark, input in
            for _ in benchmark.scaledIterations {
                blackHole(input.hash.tag(of: input.key))
            }
        },
        setup: { () throws -> (hash: VerificationHash, key: BitVector) in
            var generator = SeededGenerator(seed: 1, stream: "benchmark-verification")
            return (
                hash: try VerificationHash(pointCount: VerificationHash.defaultPointCount, using: &generator),
                key: BitVector(randomCount: 800_000, using: &generator)
            )
        }
    )

    Benchmark(
        "PackedBits.parity n=100000 ranges of 100 bits",
        configuration: .init(scalingFactor: .kilo),
        closure: { benchmark, key in
            key.words.withUnsafeBufferPointer { words in
                for _ in benchmark.scaledIterations {
                    var parity = false
                    var start = 0
                    while start + 100 <= key.count {
                        parity = parity != PackedBits.parity(words, start..<start + 100)
                        start += 100
                    }
                    blackHole(parity)
                }
            }
        },
        setup: { randomKey(count: 100_000, stream: "benchmark-parity") }
    )

    Benchmark(
        "PackedBits.parity masked n=100000 ranges of 100 bits",
        configuration: .init(scalingFactor: .kilo),
        closure: { benchmark, input in
            input.key.words.withUnsafeBufferPointer { words in
                input.mask.words.withUnsafeBufferPointer { mask in
                    for _ in benchmark.scaledIterations {
                        var parity = false
                        var start = 0
                        while start + 100 <= input.key.count {
                            parity = parity != PackedBits.parity(words, masked: mask, start..<start + 100)
                            start += 100
                        }
                        blackHole(parity)
                    }
                }
            }
        },
        setup: {
            (key: randomKey(count: 100_000, stream: "benchmark-parity"), mask: randomKey(count: 100_000, stream: "benchmark-mask"))
        }
    )

    // The default path (AVX-512 vector gathers where the CPU has AVX-512F) and the portable
    // one-bit-at-a-time path, side by side.
    for usingVectorUnit in [true, false] {
        Benchmark(
            "PackedBits.gather n=100000 random permutation" + (usingVectorUnit ? "" : " usingVectorUnit=false"),
            configuration: .init(scalingFactor: .kilo),
            closure: { benchmark, input in
                var target = [UInt64](repeating: 0, count: input.key.words.count)
                input.key.words.withUnsafeBufferPointer { source in
                    input.indices.withUnsafeBufferPointer { indices in
                        target.withUnsafeMutableBufferPointer { target in
                            for _ in benchmark.scaledIterations {
                                PackedBits.gather(source, indices: indices, into: target, usingVectorUnit: usingVectorUnit)
                                blackHole(target[0])
                            }
                        }
                    }
                }
            },
            setup: { () -> (key: BitVector, indices: [UInt32]) in
                var generator = SeededGenerator(seed: 1, stream: "benchmark-gather")
                var indices = (0..<UInt32(100_000)).map { $0 }
                indices.shuffle(using: &generator)
                return (key: randomKey(count: 100_000, stream: "benchmark-parity"), indices: indices)
            }
        )
    }

    Benchmark(
        "PackedBits.xor+popcount n=100000",
        configuration: .init(scalingFactor: .kilo),
        closure: { benchmark, input in
            var target = input.bob.words
            input.alice.words.withUnsafeBufferPointer { source in
                target.withUnsafeMutableBufferPointer { target in
                    for _ in benchmark.scaledIterations {
                        PackedBits.xor(source, into: target)
                        blackHole(PackedBits.popcount(UnsafeBufferPointer(target)))
                    }
                }
            }
        },
        setup: {
            (alice: randomKey(count: 100_000, stream: "benchmark-xor-a"), bob: randomKey(count: 100_000, stream: "benchmark-xor-b"))
        }
    )

    Benchmark(
        "CascadePermutation derive+apply n=100000",
        closure: { benchmark, key in
            var target = [UInt64](repeating: 0, count: key.words.count)
            for pass in benchmark.scaledIterations {
                let permutation = CascadePermutation(length: key.count, seed: 1, pass: pass + 1, includeInverse: true)
                permutation.apply(words: key.words, into: &target)
                blackHole(target[0])
            }
        },
        setup: { randomKey(count: 100_000, stream: "benchmark-permutation") }
    )

    Benchmark(
        "Sifting 1000000 detections",
        closure: { benchmark, frame in
            for _ in benchmark.scaledIterations {
                blackHole(try frame.sift())
            }
        },
        setup: { DetectionFrame(detections: 1_000_000) }
    )
}

/// `qber` as a percentage for benchmark names ("2%").
private func percent(_ qber: Double) -> String {
    "\(Int((qber * 100).rounded()))%"
}

/// `count` random bits from the named stream of seed 1.
private func randomKey(count: Int, stream: String) -> BitVector {
    var generator = SeededGenerator(seed: 1, stream: stream)
    return BitVector(randomCount: count, using: &generator)
}
