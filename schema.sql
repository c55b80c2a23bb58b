-- tdbroker's MySQL / MariaDB mirror (see docs/storage.md).
-- Apply once to an empty database:  mysql -u USER -p DATABASE < schema.sql
-- Safe to apply again: every table is created only if it does not exist.
-- Times are UTC. Ids are Telegram's (users positive, groups and channels negative).

-- One row per session (one Telegram account) this broker holds.
CREATE TABLE IF NOT EXISTS sessions (
  session_id  VARCHAR(20) CHARACTER SET ascii NOT NULL PRIMARY KEY,  -- the broker's id, decimal
  user_id     BIGINT NULL,             -- set once the session has logged in
  phone       VARCHAR(32) NULL,        -- digits only
  is_bot      TINYINT(1) NULL,
  created     DATETIME(3) NOT NULL,    -- when the session folder was made
  last_active DATETIME(3) NOT NULL,    -- the last request sent to it (to the minute)
  KEY sessions_user_id (user_id)
) ENGINE=InnoDB;

-- Users seen by a login or a phone number resolution; phone -> id is read from here.
CREATE TABLE IF NOT EXISTS users (
  user_id BIGINT NOT NULL PRIMARY KEY,
  phone   VARCHAR(32) NULL,
  is_bot  TINYINT(1) NOT NULL,
  updated DATETIME(3) NOT NULL,
  KEY users_phone (phone)
) ENGINE=InnoDB;

-- Public usernames (lower case, without @) and the chat each belongs to.
CREATE TABLE IF NOT EXISTS usernames (
  username VARCHAR(64) NOT NULL PRIMARY KEY,
  chat_id  BIGINT NOT NULL,
  user_id  BIGINT NULL,                -- set when the chat is a private chat with a user or bot
  is_bot   TINYINT(1) NULL,
  resolved DATETIME(3) NOT NULL
) ENGINE=InnoDB;

-- The latest backup of each session's TDLib folder: taken at login, every mysql.backup_interval while the
-- session runs, and when it stops cleanly; sealed (AES-256-GCM) when tdlib.database_encryption_key is set.
CREATE TABLE IF NOT EXISTS session_backups (
  session_id VARCHAR(20) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  taken      DATETIME(3) NOT NULL,
  size       BIGINT UNSIGNED NOT NULL,  -- bytes of the stored (packed, maybe sealed) folder
  sha256     CHAR(64) NOT NULL,         -- of the stored bytes, checked on restore
  chunks     INT UNSIGNED NOT NULL,
  files      TEXT NOT NULL,             -- the file names packed, comma-separated
  login_only TINYINT(1) NOT NULL        -- 1: the folder was over the limit and only the login was kept
) ENGINE=InnoDB;

-- The packed folder in pieces of 512 KiB, so no statement comes near max_allowed_packet.
CREATE TABLE IF NOT EXISTS session_backup_chunks (
  session_id VARCHAR(20) CHARACTER SET ascii NOT NULL,
  seq        INT UNSIGNED NOT NULL,
  data       MEDIUMBLOB NOT NULL,
  PRIMARY KEY (session_id, seq)
) ENGINE=InnoDB;
