@testable import RateLimit
import Testing

@Suite("Bucket hasher")
struct BucketHasherTests {
    /// SipHash-2-4 of the messages 00, 00 01, ... (lengths 0 to 24) under the key 00 01 ... 0f: the reference
    /// implementation's test vectors (github.com/veorq/SipHash, vectors.h), as 64-bit little-endian values.
    static let sipHash24: [UInt64] = [
        0x726f_db47_dd0e_0e31, 0x74f8_39c5_93dc_67fd, 0x0d6c_8009_d9a9_4f5a, 0x8567_6696_d7fb_7e2d, 0xcf27_94e0_2771_87b7,
        0x1876_5564_cd99_a68d, 0xcbc9_466e_58fe_e3ce, 0xab02_00f5_8b01_d137, 0x93f5_f579_9a93_2462, 0x9e00_82df_0ba9_e4b0,
        0x7a5d_bbc5_94dd_b9f3, 0xf4b3_2f46_226b_ada7, 0x751e_8fbc_860e_e5fb, 0x14ea_5627_c084_3d90, 0xf723_ca90_8e7a_f2ee,
        0xa129_ca61_49be_45e5, 0x3f2a_cc7f_57c2_9bdb, 0x699a_e9f5_2cbe_4794, 0x4bc1_b3f0_968d_d39c, 0xbb6d_c91d_a779_61bd,
        0xbed6_5cf2_1aa2_ee98, 0xd0f2_cbb0_2e3b_67c7, 0x9353_6795_e3a3_3e88, 0xa80c_038c_cd5c_cec8, 0xb8ad_50c6_f649_af94,
    ]

    /// SipHash-1-3 of the same messages (the first of them are Rust's `SipHasher13` test vectors).
    static let sipHash13: [UInt64] = [
        0xabac_0158_050f_c4dc, 0xc9f4_9bf3_7d57_ca93, 0x82cb_9b02_4dc7_d44d, 0x8bf8_0ab8_e7dd_f7fb, 0xcf75_5760_88d3_8328,
        0xdef9_d52f_4953_3b67, 0xc50d_2b50_c59f_22a7, 0xd392_7d98_9bb1_1140, 0x3690_9511_8d29_9a8e, 0x25a4_8eb3_6c06_3de4,
        0x79de_85ee_92ff_097f, 0x70c1_18c1_f94d_c352, 0x78a3_84b1_57b4_d9a2, 0x306f_760c_1229_ffa7, 0x605a_a111_c0f9_5d34,
        0xd320_d86d_2a51_9956, 0xcc4f_dd1a_7d90_8b66, 0x9cf2_6890_63db_d80c, 0x8ffc_389c_b473_e63e, 0xf21f_9de5_8d29_7d1c,
        0xc0dc_2f46_a6cc_e040, 0xb992_abfe_2b45_f844, 0x7ffe_7b9b_a320_872e, 0x525a_0e7f_dae6_c123, 0xf464_aeb2_6734_9c8c,
    ]

    static let k0: UInt64 = 0x0706_0504_0302_0100
    static let k1: UInt64 = 0x0f0e_0d0c_0b0a_0908

    @Test(arguments: 0...24)
    func matchesTheReferenceVectorsAtEveryTailLength(length: Int) {
        let message = (0..<length).map { UInt8($0) }
        message.withUnsafeBytes { bytes in
            let full = BucketHasher.sipHash(bytes, k0: Self.k0, k1: Self.k1, compressionRounds: 2, finalizationRounds: 4)
            #expect(UInt64(bitPattern: Int64(full)) == Self.sipHash24[length])
            let fast = BucketHasher.sipHash(bytes, k0: Self.k0, k1: Self.k1, compressionRounds: 1, finalizationRounds: 3)
            #expect(UInt64(bitPattern: Int64(fast)) == Self.sipHash13[length])
        }
    }

    @Test func hashesStringsByTheirUTF8AndSeparatesNamespaces() {
        let hasher = BucketHasher(k0: Self.k0, k1: Self.k1)
        // A small (inline) string, a heap string and one that is not ASCII hash as their UTF-8 bytes.
        for text in ["10.0.0.1", "2001:db8:85a3::8a2e:370:7334", "clé-ü"] {
            let expected = Array(text.utf8).withUnsafeBytes {
                BucketHasher.sipHash($0, k0: Self.k0, k1: Self.k1, compressionRounds: 1, finalizationRounds: 3)
            }
            #expect(hasher.hash(text, namespaceHash: 0) == expected)
        }
        #expect(hasher.hash("10.0.0.1", namespaceHash: 1) != hasher.hash("10.0.0.1", namespaceHash: 2))
    }

    @Test func theProcessSeedIsNotTheZeroKey() {
        // A seed of zeros would let anyone compute hashes offline and aim keys at one probe chain.
        #expect(BucketHasher.process.k0 != 0 || BucketHasher.process.k1 != 0)
        #expect(BucketHasher.process.hash("x", namespaceHash: 0) != BucketHasher(k0: 0, k1: 0).hash("x", namespaceHash: 0))
    }
}
