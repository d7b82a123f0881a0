import LinkProtocol
import Photonics
import QKDCore

/// What one side's quantum device produced for a range of pulse slots: Alice's preparations or
/// Bob's time-tagged clicks (the other list is empty).
public struct DeviceFrame: Sendable, Equatable {
    /// First slot of the frame.
    public var firstSlot: UInt64
    /// Number of pulses in the frame.
    public var slotCount: UInt64
    /// Alice's records, in slot order.
    public var aliceRecords: [AliceRecord]
    /// Bob's clicks, in slot order.
    public var bobDetections: [BobDetection]

    /// Creates a frame.
    public init(firstSlot: UInt64, slotCount: UInt64, aliceRecords: [AliceRecord] = [], bobDetections: [BobDetection] = []) {
        self.firstSlot = firstSlot
        self.slotCount = slotCount
        self.aliceRecords = aliceRecords
        self.bobDetections = bobDetections
    }

    /// The slot after the frame.
    public var endSlot: UInt64 { firstSlot + slotCount }

    /// The binary encoding (the optics socket and the recorded time-tag file use it): first
    /// slot, slot count (UInt64 big-endian), side (0 Alice, 1 Bob), record count (UInt64), then per
    /// record its slot as an LEB128 gap from the previous record's slot (from `firstSlot` for the
    /// first) and, for Alice, the prepared state (0 early, 1 late, 2 plus), for Bob the detector
    /// (one byte) and the arrival time in picoseconds (Int64 big-endian, two's complement).
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.write(firstSlot)
        writer.write(slotCount)
        let isBob = !bobDetections.isEmpty
        writer.write(isBob ? 1 as UInt8 : 0)
        var previous = firstSlot
        if isBob {
            writer.write(count: bobDetections.count)
            for click in bobDetections {
                writer.writeVarint(click.slot - previous)
                writer.write(click.detector)
                writer.write(UInt64(bitPattern: click.arrivalPicoseconds))
                previous = click.slot
            }
        } else {
            writer.write(count: aliceRecords.count)
            for record in aliceRecords {
                writer.writeVarint(record.slot - previous)
                writer.write(record.state.rawValue)
                previous = record.slot
            }
        }
        return writer.bytes
    }

    /// Decodes a frame, or throws naming the malformed field.
    public init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        firstSlot = try reader.readUInt64("device frame first slot")
        slotCount = try reader.readUInt64("device frame slot count")
        let side = try reader.readByte("device frame side")
        guard side <= 1 else { throw QKDError(.malformedInput, "device frame side \(side) is neither 0 (Alice) nor 1 (Bob)") }
        let count = try reader.readCount("device frame records", limit: reader.remaining / 2)
        aliceRecords = []
        bobDetections = []
        var previous = firstSlot
        for _ in 0..<count {
            let (slot, overflow) = previous.addingReportingOverflow(try reader.readVarint("record slot gap"))
            guard !overflow, slot < firstSlot + slotCount else {
                throw QKDError(.malformedInput, "device frame record slot lies outside the frame")
            }
            if side == 1 {
                let detector = try reader.readByte("detector")
                guard detector <= 1 else { throw QKDError(.malformedInput, "detector \(detector) is neither 0 nor 1") }
                bobDetections.append(BobDetection(slot: slot, detector: detector, arrivalPicoseconds: Int64(bitPattern: try reader.readUInt64("arrival time"))))
            } else {
                let raw = try reader.readByte("prepared state")
                guard let state = PreparedState(rawValue: raw) else { throw QKDError(.malformedInput, "unknown prepared state \(raw)") }
                aliceRecords.append(AliceRecord(slot: slot, state: state))
            }
            previous = slot
        }
        try reader.expectEnd("device frame")
    }
}
