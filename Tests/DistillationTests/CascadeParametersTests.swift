import Distillation
import QKDCore
import Testing

@Suite struct CascadeParametersTests {
    @Test func defaultScheduleIsCascadeOptionSeven() {
        let parameters = CascadeParameters(permutationSeed: 0)
        #expect(parameters.passCount == 16)
        #expect(parameters.spreadsFirstPassBlocks && parameters.searchesLowestPassFirst)
        #expect(parameters.concurrentSearchLimit == .max)
        // 2^⌈log₂(1/q)⌉: 1/0.01 = 100 → 128; 1/0.02 = 50 → 64; 1/0.05 = 20 → 32; 1/0.07 ≈ 14.3 → 16.
        #expect(parameters.firstBlockSize(estimatedQBER: 0.01) == 128)
        #expect(parameters.firstBlockSize(estimatedQBER: 0.02) == 64)
        #expect(parameters.firstBlockSize(estimatedQBER: 0.05) == 32)
        #expect(parameters.firstBlockSize(estimatedQBER: 0.07) == 16)
        let sizes = (0..<4).map { parameters.blockSize(pass: $0, keyLength: 10_000, estimatedQBER: 0.05) }
        #expect(sizes == [32, 128, 5000, 5000])
    }

    @Test func tunedScheduleFollowsTheDocumentedTable() {
        func schedule(_ qber: Double, keyLength: Int) -> [Int] {
            let parameters = CascadeParameters.tuned(forQBER: qber, blockSize: keyLength)
            return (0..<2).map { parameters.blockSize(pass: $0, keyLength: keyLength, estimatedQBER: qber) } + [parameters.passCount]
        }
        let short = 1 << 14
        #expect(schedule(0.01, keyLength: short) == [128, 256, 16])
        #expect(schedule(0.02, keyLength: short) == [32, 256, 16])
        #expect(schedule(0.05, keyLength: short) == [16, 128, 16])
        #expect(schedule(0.07, keyLength: short) == [16, 64, 16])
        let long = 100_000
        #expect(schedule(0.01, keyLength: long) == [128, 256, 24])
        #expect(schedule(0.02, keyLength: long) == [32, 256, 24])
        #expect(schedule(0.05, keyLength: long) == [16, 128, 24])
        #expect(schedule(0.07, keyLength: long) == [16, 64, 24])
        // The switch sits exactly at `longKeyLength`.
        #expect(schedule(0.01, keyLength: CascadeParameters.longKeyLength - 1) == [128, 256, 16])
        #expect(schedule(0.01, keyLength: CascadeParameters.longKeyLength) == [128, 256, 24])
        for length in [short, long, 800_000] {
            #expect(CascadeParameters.tuned(forQBER: 0.03, blockSize: length).concurrentSearchLimit == 1)
        }
        // The second pass is ranked from 6 % on.
        #expect([0.01, 0.05, 0.0599].allSatisfy { !CascadeParameters.tuned(forQBER: $0, blockSize: short).ranksSecondPassByErrorLikelihood })
        #expect([0.06, 0.07, 0.11].allSatisfy { CascadeParameters.tuned(forQBER: $0, blockSize: short).ranksSecondPassByErrorLikelihood })
        #expect(!CascadeParameters().ranksSecondPassByErrorLikelihood)
        #expect(CascadeParameters.tuned(forQBER: 0.03, blockSize: short).permutationSeed == CascadeParameters.defaultPermutationSeed)
        #expect(CascadeParameters.tuned(forQBER: 0.03, blockSize: short, permutationSeed: 7).permutationSeed == 7)
    }

    @Test func blockSizesNeverExceedHalfTheKey() {
        let parameters = CascadeParameters(blockSizeGrowthFactor: 2, growingPassCount: 20, permutationSeed: 0)
        // 1/0.04 = 25 → k₁ = 32, doubling until capped at ⌈301/2⌉ = 151.
        let sizes = (0..<6).map { parameters.blockSize(pass: $0, keyLength: 301, estimatedQBER: 0.04) }
        #expect(sizes == [32, 64, 128, 151, 151, 151])
        #expect(parameters.blockSize(pass: 0, keyLength: 1000, estimatedQBER: 0) == 500)
        #expect(parameters.blockSize(pass: 0, keyLength: 1, estimatedQBER: 0.1) == 1)
    }

    @Test func optionEightOffsetHalvesSomeFirstBlocks() {
        let parameters = CascadeParameters(firstBlockSizeExponentOffset: 0.5, permutationSeed: 0)
        // log₂(20) − 0.5 ≈ 3.82 → 16; log₂(50) − 0.5 ≈ 5.14 → 64.
        #expect(parameters.firstBlockSize(estimatedQBER: 0.05) == 16)
        #expect(parameters.firstBlockSize(estimatedQBER: 0.02) == 64)
    }

    @Test func invalidSettingsThrow() {
        var parameters = CascadeParameters(permutationSeed: 0)
        parameters.passCount = 65
        #expect(throws: QKDError.self) { try parameters.validate() }
        parameters = CascadeParameters(blockSizeGrowthFactor: 0, permutationSeed: 0)
        #expect(throws: QKDError.self) { try parameters.validate() }
        parameters = CascadeParameters(firstBlockSizeExponentOffset: .nan, permutationSeed: 0)
        #expect(throws: QKDError.self) { try parameters.validate() }
        parameters = CascadeParameters(growingPassCount: -1, permutationSeed: 0)
        #expect(throws: QKDError.self) { try parameters.validate() }
        parameters = CascadeParameters(concurrentSearchLimit: 0, permutationSeed: 0)
        #expect(throws: QKDError.self) { try parameters.validate() }
    }
}
