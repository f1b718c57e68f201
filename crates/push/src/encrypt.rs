//! Message encryption for Web Push (RFC 8291): the `aes128gcm` content
//! coding of RFC 8188 with a key agreed between a one-time key pair of ours
//! and the browser's subscription key.
//!
//! For every message: a fresh P-256 key pair and ECDH with the browser's
//! `p256dh` key; HKDF-SHA256 mixes in the browser's 16-byte `auth` secret
//! (`"WebPush: info"`), then a fresh 16-byte salt gives the content key and
//! nonce; the payload, its `0x02` delimiter and zero padding are sealed in
//! one AES-128-GCM record. Only the browser can open it: the push service
//! sees the length (rounded up, see [`PAD_BLOCK`]) and nothing else.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

use crate::error::PushError;
use crate::vapid::random_secret_key;

/// Largest payload accepted before encryption. RFC 8030 §7.2 obliges a push
/// service to take 4096 bytes of encrypted body; this leaves room for the
/// 86-byte header, the tag, the delimiter and [`PAD_BLOCK`] padding.
pub const MAX_PAYLOAD_BYTES: usize = 3072;

/// Payload plus delimiter is padded to a multiple of this many bytes, so
/// the push service learns the length of a notification's text only
/// roughly.
pub const PAD_BLOCK: usize = 128;

/// The record size written in the header (one record always suffices).
const RECORD_SIZE: u32 = 4096;
const TAG_LEN: usize = 16;

/// A browser's subscription keys: its P-256 public key (`p256dh`) and its
/// 16-byte authentication secret (`auth`).
#[derive(Clone)]
pub struct ReceiverKeys {
    public: PublicKey,
    public_bytes: Vec<u8>,
    auth: [u8; 16],
}

impl std::fmt::Debug for ReceiverKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiverKeys { .. }")
    }
}

impl ReceiverKeys {
    /// The keys of `PushSubscription.toJSON().keys`: `p256dh` (65-byte
    /// uncompressed point) and `auth` (16 bytes), both base64url (padding
    /// tolerated).
    pub fn from_base64url(p256dh: &str, auth: &str) -> Result<Self, PushError> {
        let p256dh = p256dh.trim_end_matches('=');
        let auth = auth.trim_end_matches('=');
        if p256dh.len() > 100 || auth.len() > 30 {
            return Err(PushError::Keys("p256dh or auth is too long"));
        }
        let public = Base64UrlUnpadded::decode_vec(p256dh)
            .map_err(|_| PushError::Keys("p256dh is not base64url"))?;
        let auth_bytes = Base64UrlUnpadded::decode_vec(auth)
            .map_err(|_| PushError::Keys("auth is not base64url"))?;
        Self::from_bytes(&public, &auth_bytes)
    }

    /// The keys from raw bytes.
    pub fn from_bytes(p256dh: &[u8], auth: &[u8]) -> Result<Self, PushError> {
        if p256dh.len() != 65 || p256dh[0] != 0x04 {
            return Err(PushError::Keys(
                "p256dh must be an uncompressed P-256 point (65 bytes)",
            ));
        }
        let public = PublicKey::from_sec1_bytes(p256dh)
            .map_err(|_| PushError::Keys("p256dh is not a point on P-256"))?;
        let auth: [u8; 16] = auth
            .try_into()
            .map_err(|_| PushError::Keys("auth must be 16 bytes"))?;
        Ok(ReceiverKeys {
            public,
            public_bytes: p256dh.to_vec(),
            auth,
        })
    }
}

/// Encrypts `plaintext` for `keys`: the complete `aes128gcm` body to POST
/// (header with salt, record size and our one-time public key, then the
/// sealed record).
pub fn encrypt(keys: &ReceiverKeys, plaintext: &[u8]) -> Result<Vec<u8>, PushError> {
    if plaintext.len() > MAX_PAYLOAD_BYTES {
        return Err(PushError::PayloadTooLarge {
            len: plaintext.len(),
            max: MAX_PAYLOAD_BYTES,
        });
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(PushError::Random)?;
    let sender = random_secret_key()?;
    let padded = (plaintext.len() + 1).div_ceil(PAD_BLOCK) * PAD_BLOCK;
    encrypt_with(
        keys,
        plaintext,
        &salt,
        &sender,
        padded - plaintext.len() - 1,
    )
}

/// [`encrypt`] with the salt, the sender key and the padding given (RFC
/// 8291's example uses fixed ones).
fn encrypt_with(
    keys: &ReceiverKeys,
    plaintext: &[u8],
    salt: &[u8; 16],
    sender: &SecretKey,
    padding: usize,
) -> Result<Vec<u8>, PushError> {
    let sender_public = sender.public_key().to_encoded_point(false);
    let sender_public = sender_public.as_bytes();
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), keys.public.as_affine());

    // RFC 8291 §3.3-3.4: IKM = HKDF(auth, ecdh, "WebPush: info" 0 ua as, 32).
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&keys.auth), shared.raw_secret_bytes())
        .expand_multi_info(
            &[b"WebPush: info\0", &keys.public_bytes, sender_public],
            &mut ikm,
        )
        .map_err(|_| PushError::Crypto("HKDF output length"))?;
    // RFC 8188 §2.2-2.3: CEK and NONCE from the salt.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|()| prk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| PushError::Crypto("HKDF output length"))?;

    let mut record = Vec::with_capacity(plaintext.len() + 1 + padding);
    record.extend_from_slice(plaintext);
    record.push(0x02); // last (and only) record
    record.resize(plaintext.len() + 1 + padding, 0);
    if record.len() + TAG_LEN > RECORD_SIZE as usize {
        return Err(PushError::PayloadTooLarge {
            len: plaintext.len(),
            max: MAX_PAYLOAD_BYTES,
        });
    }
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| PushError::Crypto("AES key"))?;
    // Record 0: the nonce XOR the sequence number 0 is the nonce itself.
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| PushError::Crypto("AES-GCM"))?;

    let mut body = Vec::with_capacity(16 + 4 + 1 + sender_public.len() + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(sender_public.len() as u8);
    body.extend_from_slice(sender_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        Base64UrlUnpadded::decode_vec(s).unwrap()
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn rfc_8291_appendix_a_vector() {
        let keys = ReceiverKeys::from_base64url(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
        )
        .unwrap();
        let sender =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt_with(
            &keys,
            b"When I grow up, I want to be a watermelon",
            &salt,
            &sender,
            0,
        )
        .unwrap();
        let expected = b64(concat!(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml",
            "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT",
            "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        ));
        assert_eq!(body, expected);
        // The sender's public key in the header is the RFC's as_public.
        assert_eq!(
            &body[21..86],
            b64("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8")
                .as_slice()
        );
    }

    #[test]
    fn each_message_gets_its_own_salt_and_key_and_a_padded_length() {
        let keys = ReceiverKeys::from_base64url(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
        )
        .unwrap();
        let a = encrypt(&keys, b"hello").unwrap();
        let b = encrypt(&keys, b"hello, a somewhat longer text").unwrap();
        assert_ne!(a[..16], b[..16], "salt");
        assert_ne!(a[21..86], b[21..86], "sender key");
        assert_eq!(a.len(), 86 + PAD_BLOCK + 16);
        assert_eq!(a.len(), b.len(), "both lengths round up to one block");
        let max = encrypt(&keys, &[b'x'; MAX_PAYLOAD_BYTES]).unwrap();
        assert!(max.len() <= 4096);
        let err = encrypt(&keys, &[b'x'; MAX_PAYLOAD_BYTES + 1]).unwrap_err();
        assert!(matches!(err, PushError::PayloadTooLarge { .. }));
    }

    #[test]
    fn malformed_subscription_keys_are_refused() {
        let good_auth = "BTBZMqHH6r4Tts7J_aSIgg";
        let good_key = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        assert!(ReceiverKeys::from_base64url(good_key, "BTBZMqHH6r4Tts7J_aSIgg==").is_ok());
        for (key, auth) in [
            ("", good_auth),
            (good_key, ""),
            (good_key, "BTBZMqHH6r4Tts7J_aSI"),
            (&good_key[..good_key.len() - 2], good_auth),
            ("!!notbase64!!", good_auth),
            // Off the curve: last byte of y changed.
            (
                "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw8",
                good_auth,
            ),
        ] {
            assert!(
                ReceiverKeys::from_base64url(key, auth).is_err(),
                "{key:?} {auth:?}"
            );
        }
        let compressed = [2u8; 33];
        assert!(ReceiverKeys::from_bytes(&compressed, &[0; 16]).is_err());
    }
}
