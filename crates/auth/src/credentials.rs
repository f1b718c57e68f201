//! Generating the credentials of one server run: the URL token, the
//! password and the optional read-only token.
//!
//! Everything is random from the operating system ([`getrandom`]) and
//! encoded as base64url without padding, so it can sit in a URL as is:
//! the token and the read-only token carry 18 bytes (144 bits, 24
//! characters), a generated password 16 bytes (128 bits, 22 characters).
//! Credentials live in memory only and a restart makes new ones, unless a
//! token file is given ([`CredentialOptions::with_token_file`]): the tokens
//! then come from that file (made on the first run), so the link survives a
//! restart. The password is never written anywhere.

use std::path::PathBuf;
use std::sync::Arc;

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::error::AuthError;
use crate::secret::{MAX_SECRET_LEN, Secret};
use crate::token_file::TokenFile;

/// Random bytes in a token (control or read-only).
pub const TOKEN_BYTES: usize = 18;
/// Random bytes in a generated password.
pub const PASSWORD_BYTES: usize = 16;

/// `n` random bytes from the operating system as unpadded base64url.
pub(crate) fn random_base64url(n: usize) -> Result<Secret, AuthError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
    Ok(Secret::new(Base64UrlUnpadded::encode_string(&bytes)))
}

/// Where the password comes from.
#[derive(Clone, Default)]
pub enum PasswordChoice {
    /// Generate a random password (16 bytes, base64url). The default.
    #[default]
    Generate,
    /// Use this password. Any non-empty string of at most
    /// [`MAX_SECRET_LEN`] bytes.
    Given(String),
    /// No password: the token alone authenticates.
    Disabled,
}

impl std::fmt::Debug for PasswordChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordChoice::Generate => f.write_str("Generate"),
            PasswordChoice::Given(_) => f.write_str("Given(***)"),
            PasswordChoice::Disabled => f.write_str("Disabled"),
        }
    }
}

/// What [`Credentials::generate`] should make.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CredentialOptions {
    /// Generated, given, or no password.
    pub password: PasswordChoice,
    /// Also make a read-only token (a second link that can watch but not
    /// type or change anything).
    pub read_only_link: bool,
    /// Keep the tokens (and the remembered devices) in this file, created
    /// with mode 0600 when missing: the token, the read-only token and, for
    /// each remembered device, only the SHA-256 of its session key.
    pub token_file: Option<PathBuf>,
}

impl CredentialOptions {
    /// Sets [`token_file`](Self::token_file).
    pub fn with_token_file(mut self, path: Option<PathBuf>) -> Self {
        self.token_file = path;
        self
    }

    /// Sets [`password`](Self::password).
    pub fn with_password(mut self, password: PasswordChoice) -> Self {
        self.password = password;
        self
    }

    /// Sets [`read_only_link`](Self::read_only_link).
    pub fn with_read_only_link(mut self, read_only_link: bool) -> Self {
        self.read_only_link = read_only_link;
        self
    }
}

/// The secrets of one server run. `Debug` prints `***` for each.
///
/// ```
/// use tmux_mobile_auth::{CredentialOptions, Credentials, PasswordChoice};
///
/// let creds = Credentials::generate(
///     CredentialOptions::default()
///         .with_password(PasswordChoice::Given("s3cret".into()))
///         .with_read_only_link(true),
/// )?;
/// assert_eq!(creds.token().expose().len(), 24);
/// assert_eq!(creds.password().map(|p| p.expose()), Some("s3cret"));
/// assert!(creds.read_only_token().is_some());
/// assert!(!format!("{creds:?}").contains("s3cret"));
/// # Ok::<(), tmux_mobile_auth::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Credentials {
    token: Secret,
    password: Option<Secret>,
    read_only_token: Option<Secret>,
    pub(crate) token_file: Option<Arc<TokenFile>>,
}

impl Credentials {
    /// Makes fresh credentials, or with a token file reads the tokens from
    /// it (creating it when missing). Fails if a given password is empty or
    /// longer than [`MAX_SECRET_LEN`] bytes, if the operating system's
    /// random number generator fails, or if the token file cannot be used
    /// ([`AuthError::TokenFile`]: other users may read it, it is malformed,
    /// it cannot be written).
    pub fn generate(opts: CredentialOptions) -> Result<Credentials, AuthError> {
        let password = match opts.password {
            PasswordChoice::Generate => Some(random_base64url(PASSWORD_BYTES)?),
            PasswordChoice::Given(given) => {
                if given.is_empty() {
                    return Err(AuthError::EmptyPassword);
                }
                if given.len() > MAX_SECRET_LEN {
                    return Err(AuthError::PasswordTooLong {
                        len: given.len(),
                        max: MAX_SECRET_LEN,
                    });
                }
                Some(Secret::new(given))
            }
            PasswordChoice::Disabled => None,
        };
        if let Some(path) = &opts.token_file {
            let file = TokenFile::load_or_create(path, opts.read_only_link)?;
            return Ok(Credentials {
                token: file.token().clone(),
                password,
                read_only_token: if opts.read_only_link {
                    file.read_only_token().cloned()
                } else {
                    None
                },
                token_file: Some(Arc::new(file)),
            });
        }
        let token = random_base64url(TOKEN_BYTES)?;
        let read_only_token = if opts.read_only_link {
            Some(random_base64url(TOKEN_BYTES)?)
        } else {
            None
        };
        Ok(Credentials {
            token,
            password,
            read_only_token,
            token_file: None,
        })
    }

    /// The control token (goes into the URL as `?token=`).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The password, if one is required.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// The read-only token, if a read-only link was asked for.
    pub fn read_only_token(&self) -> Option<&Secret> {
        self.read_only_token.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_base64url(s: &str) -> bool {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    #[test]
    fn generated_credentials_have_the_documented_shape() {
        let creds = Credentials::generate(CredentialOptions {
            password: PasswordChoice::Generate,
            read_only_link: true,
            token_file: None,
        })
        .unwrap();
        let token = creds.token().expose();
        let password = creds.password().unwrap().expose();
        let ro = creds.read_only_token().unwrap().expose();
        assert_eq!(token.len(), 24);
        assert_eq!(ro.len(), 24);
        assert_eq!(password.len(), 22);
        for s in [token, password, ro] {
            assert!(is_base64url(s), "{} chars not base64url", s.len());
            let decoded = Base64UrlUnpadded::decode_vec(s).unwrap();
            assert!(decoded.len() == TOKEN_BYTES || decoded.len() == PASSWORD_BYTES);
        }
        assert_ne!(token, ro);
    }

    #[test]
    fn two_runs_make_different_secrets() {
        let a = Credentials::generate(CredentialOptions::default()).unwrap();
        let b = Credentials::generate(CredentialOptions::default()).unwrap();
        assert_ne!(a.token().expose(), b.token().expose());
        assert_ne!(
            a.password().unwrap().expose(),
            b.password().unwrap().expose()
        );
        assert!(a.read_only_token().is_none());
    }

    #[test]
    fn given_and_disabled_passwords() {
        let given = Credentials::generate(CredentialOptions {
            password: PasswordChoice::Given("pässwörd with spaces".into()),
            read_only_link: false,
            token_file: None,
        })
        .unwrap();
        assert_eq!(given.password().unwrap().expose(), "pässwörd with spaces");
        let none = Credentials::generate(CredentialOptions {
            password: PasswordChoice::Disabled,
            read_only_link: false,
            token_file: None,
        })
        .unwrap();
        assert!(none.password().is_none());
    }

    #[test]
    fn empty_or_overlong_given_password_is_refused_clearly() {
        let err = Credentials::generate(CredentialOptions {
            password: PasswordChoice::Given(String::new()),
            read_only_link: false,
            token_file: None,
        })
        .unwrap_err();
        assert!(matches!(err, AuthError::EmptyPassword));
        assert!(err.to_string().contains("must not be empty"));

        let long = "p".repeat(MAX_SECRET_LEN + 1);
        let err = Credentials::generate(CredentialOptions {
            password: PasswordChoice::Given(long.clone()),
            read_only_link: false,
            token_file: None,
        })
        .unwrap_err();
        assert!(matches!(err, AuthError::PasswordTooLong { .. }));
        assert!(!err.to_string().contains(&long));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let creds = Credentials::generate(CredentialOptions {
            password: PasswordChoice::Given("topsecretpw".into()),
            read_only_link: true,
            token_file: None,
        })
        .unwrap();
        let dbg = format!("{creds:?}");
        assert!(!dbg.contains("topsecretpw"));
        assert!(!dbg.contains(creds.token().expose()));
        assert!(!dbg.contains(creds.read_only_token().unwrap().expose()));
        assert!(dbg.contains("***"));
        let opts = CredentialOptions {
            password: PasswordChoice::Given("topsecretpw".into()),
            read_only_link: false,
            token_file: None,
        };
        assert!(!format!("{opts:?}").contains("topsecretpw"));
    }
}
