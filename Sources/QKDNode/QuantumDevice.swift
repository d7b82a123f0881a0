/// The hardware seam: what one node reads from its side of the optics. The link emulator served
/// by `qkd optics` is one implementation (`OpticsDeviceClient`), a recorded time-tag file another
/// (`RecordedTimeTagFile`); a hardware driver would be a third.
public protocol QuantumDevice: AnyObject, Sendable {
    /// The next frame, in slot order; nil when the device stream has ended. May block.
    func nextFrame() throws -> DeviceFrame?
    /// Stops the device (a blocked `nextFrame()` returns or throws).
    func stop()
}
