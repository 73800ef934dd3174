import { expect } from 'chai';
import { ConfigError } from '../../../src/errors.js';
import { comparePaths, listPage } from '../../../src/store/s3/s3-list.js';
import { encodeKey, objectUrl, parseS3Url } from '../../../src/store/s3/s3-url.js';
import { decodeXmlText, xmlText } from '../../../src/store/s3/s3-xml.js';

describe('s3 url: store URLs, keys and request URLs', () => {
  it('parses s3://bucket/prefix into a bucket and a prefix ending with /', () => {
    expect(parseS3Url('s3://my-bucket/stores/btc')).to.deep.equal({ bucket: 'my-bucket', prefix: 'stores/btc/' });
    expect(parseS3Url('s3://my-bucket/stores/btc/')).to.deep.equal({ bucket: 'my-bucket', prefix: 'stores/btc/' });
    expect(parseS3Url('s3://my-bucket')).to.deep.equal({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('S3://data.example_gcs/a b/ü')).to.deep.equal({ bucket: 'data.example_gcs', prefix: 'a b/ü/' });
  });

  it('refuses a malformed URL or bucket name with a ConfigError naming it', () => {
    expect(() => parseS3Url('s3:/bucket/x')).to.throw(ConfigError, 's3Location: store URL must look like s3://bucket/prefix; received "s3:/bucket/x"');
    expect(() => parseS3Url('s3:///x')).to.throw(ConfigError, 's3Location: "" in s3:///x is not a bucket name: 3 to 222 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit');
    expect(() => parseS3Url('s3://a/x', 'openStore')).to.throw(ConfigError, 'openStore: "a" in s3://a/x is not a bucket name');
    expect(() => parseS3Url('s3://bad..name/x')).to.throw(ConfigError, '"bad..name"');
    expect(() => parseS3Url('s3://b-1/a/../x')).to.throw(ConfigError, 's3Location: key "a/../x/" has a "." or ".." segment, which no HTTP request can carry unchanged; rename the object');
  });

  it('encodes keys per S3: each segment, every byte but unreserved ones, / kept', () => {
    expect(encodeKey("btc/part 0+1 (copy)!*'~.parquet")).to.equal('btc/part%200%2B1%20%28copy%29%21%2A%27~.parquet');
    expect(encodeKey('year=2024/ü€.parquet')).to.equal('year%3D2024/%C3%BC%E2%82%AC.parquet');
  });

  it('addresses AWS virtual-hosted, custom endpoints path-style, and dotted buckets path-style', () => {
    const aws = { region: 'eu-west-1', endpoint: undefined, forcePathStyle: undefined };
    expect(objectUrl(aws, 'my-bucket', 'btc/a b.parquet')).to.equal('https://my-bucket.s3.eu-west-1.amazonaws.com/btc/a%20b.parquet');
    expect(objectUrl(aws, 'my-bucket', undefined, { 'list-type': '2', prefix: 'btc/', 'continuation-token': '1jF+Hm/q=' })).to.equal(
      'https://my-bucket.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=btc%2F&continuation-token=1jF%2BHm%2Fq%3D',
    );
    expect(objectUrl(aws, 'my.dotted.bucket', 'k')).to.equal('https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/k');
    expect(objectUrl({ ...aws, region: 'cn-north-1' }, 'b-cn', 'k')).to.equal('https://b-cn.s3.cn-north-1.amazonaws.com.cn/k');
    const minio = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: undefined };
    expect(objectUrl(minio, 'data', 'btc/a.parquet', { uploads: '' })).to.equal('http://127.0.0.1:9000/data/btc/a.parquet?uploads=');
    expect(objectUrl(minio, 'data')).to.equal('http://127.0.0.1:9000/data');
    expect(objectUrl({ ...minio, endpoint: 'https://gw.example.com/s3/' }, 'data', 'k')).to.equal('https://gw.example.com/s3/data/k');
    expect(objectUrl({ region: 'auto', endpoint: 'https://acc.r2.cloudflarestorage.com', forcePathStyle: false }, 'data', 'k')).to.equal('https://data.acc.r2.cloudflarestorage.com/k');
  });
});

describe('s3 xml: the values the client reads from S3 answers', () => {
  it('decodes entities and character references', () => {
    expect(decodeXmlText('&quot;9b2c&quot; &amp;&lt;&gt;&apos; &#x27;&#252;&#x1F600; &nbsp;')).to.equal(`"9b2c" &<>' 'ü😀 &nbsp;`);
    expect(xmlText('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', 'Code')).to.equal('NoSuchKey');
    expect(xmlText('<ListBucketResult><KeyCount>2</KeyCount></ListBucketResult>', 'Key')).to.equal(undefined);
  });

  it('reads a ListObjectsV2 page as AWS sends it', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>btc/</Prefix><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>btc/a &amp; b.parquet</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified><ETag>&quot;70903e79b7575e3f4e7ffa15c2608ac7&quot;</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>btc/_metadata</Key><LastModified>2026-11-30T10:00:01.000Z</LastModified><ETag>"e80b5017098950fc58aad83c8c14978e-2"</ETag><Size>11534336</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`;
    expect(listPage(xml)).to.deep.equal({
      objects: [
        { key: 'btc/a & b.parquet', size: 10, etag: '"70903e79b7575e3f4e7ffa15c2608ac7"', lastModified: new Date('2026-11-30T10:00:00.000Z') },
        { key: 'btc/_metadata', size: 11534336, etag: '"e80b5017098950fc58aad83c8c14978e-2"', lastModified: new Date('2026-11-30T10:00:01.000Z') },
      ],
      truncated: true,
      nextToken: '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=',
    });
  });

  it('sorts store paths as a local folder walk does', () => {
    expect(['b.parquet', 'a-b.parquet', 'a/x.parquet', 'a/b/c.parquet', 'A.parquet'].sort(comparePaths)).to.deep.equal(['A.parquet', 'a/b/c.parquet', 'a/x.parquet', 'a-b.parquet', 'b.parquet']);
  });
});
