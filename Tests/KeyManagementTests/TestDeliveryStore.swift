import Foundation
import KeyManagement
import KeyManagementPostgres
import QKDCore
import Testing

/// The PostgreSQL test database, from `QKD_TEST_POSTGRES_URL` (`.ci/run` starts one with
/// scripts/start-postgres.sh); without it the behaviour tests run on SQLite only.
private let postgresURL = ProcessInfo.processInfo.environment["QKD_TEST_POSTGRES_URL"]

/// The implementations of ``KeyDeliveryStore`` that the behaviour tests run on.
enum DeliveryStoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    /// The kinds this run can test: PostgreSQL only with `QKD_TEST_POSTGRES_URL`.
    static var available: [DeliveryStoreKind] { postgresURL == nil ? [.sqlite] : allCases }

    var testDescription: String { rawValue }
}

/// One fresh store of a kind for one test: an SQLite file in a temporary folder, or a PostgreSQL
/// schema of its own (dropped by ``close()``). `instances` opens it that many times, as that many
/// KME processes sharing it would.
final class TestDeliveryStore: @unchecked Sendable {
    let kind: DeliveryStoreKind
    let instances: [any KeyDeliveryStore]
    private let directory: TemporaryDirectory?
    private let sqlitePath: String?
    private let postgres: PostgresKeyDeliveryStore?

    /// The first instance.
    var store: any KeyDeliveryStore { instances[0] }

    init(_ kind: DeliveryStoreKind, holding keys: [StoredKey], instances count: Int = 1) async throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            let directory = try TemporaryDirectory()
            let path = directory.file("kme.sqlite")
            try SQLiteKeyStore(path: path).insert(keys)
            self.directory = directory
            sqlitePath = path
            postgres = nil
            instances = try (0..<count).map { _ in try SQLiteKeyDeliveryStore(path: path) }
        case .postgres:
            let schema = "qkd_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let stores = try (0..<count).map { _ in try PostgresKeyDeliveryStore(url: postgresURL!, schema: schema) }
            try await stores[0].prepare()
            try await stores[0].insert(keys)
            directory = nil
            sqlitePath = nil
            postgres = stores[0]
            instances = stores
        }
    }

    /// Adds keys, as the link node does while the KME serves.
    func insert(_ keys: [StoredKey]) async throws {
        if let sqlitePath { try SQLiteKeyStore(path: sqlitePath).insert(keys) }
        try await postgres?.insert(keys)
    }

    /// Drops the PostgreSQL schema (the SQLite folder goes with the value).
    func close() async {
        try? await postgres?.dropSchema()
    }
}
